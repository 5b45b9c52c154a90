"""Is a generated answer supported by its sources? One definition, used twice: the answer
path drops unsupported sentences before anything is shown (`check_sentence`, `Grounder`), and
`postmortem eval` scores answers with `faithfulness`.

Content words are what an engineer acts on: services, components, error codes, versions,
actions, symptoms. Function words and the vocabulary every answer uses to frame itself
("incident", "root cause", "fixed") are not content. Words are compared by their Porter
stem, so "scaled" is supported by "scaling"; a compound token such as `ledger-db`, `v4.12`
or `ENOSPC` is one content word, supported when the token or all of its parts appear.

A sentence is kept only when every content word it adds to the question is found in the
incidents it cites. Its citations are verified on the way: a cited incident that does not
support the sentence (covers less than half of its content words) loses the citation, and
when the remaining citations leave words uncovered, the incidents that cover them are cited
instead (greedily, most new words first), so a sentence with no [n] or a wrong one ends up
citing the right incident where one supports it. A sentence none of the sources supports is
dropped, whatever it cites."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable, Sequence

# The fields of a source (an incident row or an answer's `sources` entry) that count as
# support. Anything else (ids, scores) is not something an answer should assert.
SOURCE_FIELDS = (
    "incident_title", "date", "root_cause_category", "root_cause", "fix", "services_affected", "timeline", "url",
)
CITATION = re.compile(r"\[(\d{1,2})\]")
# A compound token (`ledger-db`, `v4.12`, `10.0.0.10:53`, `pg_cancel_backend`) stays whole;
# its parts are matched too.
TOKEN = re.compile(r"[a-z0-9]+(?:[._:/\-][a-z0-9]+)*")
PARTS = re.compile(r"[a-z0-9]+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
# A citation share below this means the incident does not support the sentence.
MIN_SUPPORT = 0.5

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each either else even ever few for
    from further had has have having he her here hers herself him himself his how i if in into is it its
    itself just let me more most much must my myself no nor not now of off on once one only or other
    our ours ourselves out over own per same she should so some such than that the their theirs them
    themselves then there these they this those through thus to too under until up upon us very via
    was we were what when where which while who whom why will with within without would yet you your
    yours yourself yourselves""".split()
)
# The words an answer frames itself with: saying "the root cause of the incident was" asserts
# nothing a source must back.
FRAMING = frozenset(
    """answer answers case caused cause causes cite cited based fix fixed fixes fixing incident incidents
    issue issues looks like past previous problem problems resolve resolved resolution root similar
    solution solved time times last lately recently happened happen happens occurred occur same
    which summary likely probably possibly seems seem appears appear according mentioned described
    reported shows show showed see
    ran run runs went go goes got get gets made make makes took take takes led lead leads came come
    became become kept keep used use uses post-mortem postmortem post mortem recorded nearest close
    match matches reference link question questions stored ones none""".split()
)


@lru_cache(maxsize=1)
def _stemmer():
    from nltk.stem.porter import PorterStemmer

    return PorterStemmer()


@lru_cache(maxsize=20000)
def _stem(word: str) -> str:
    return _stemmer().stem(word) if word.isalpha() else word


def content_words(text: str) -> list[str]:
    """The content words of `text` (stemmed, citations removed), in order."""
    out = []
    for token in TOKEN.findall(CITATION.sub(" ", text or "").lower()):
        if token in STOPWORDS or token in FRAMING:
            continue
        if token.isalpha() and len(token) < 2:
            continue
        out.append(_stem(token))
    return out


def vocabulary(text: str) -> frozenset[str]:
    """Everything a text can support: its content words and the parts of compound tokens."""
    words = set(content_words(text))
    for token in TOKEN.findall((text or "").lower()):
        words.update(_stem(p) for p in PARTS.findall(token))
    return frozenset(words)


def supported(word: str, vocab: frozenset[str]) -> bool:
    if word in vocab:
        return True
    parts = PARTS.findall(word)
    return len(parts) > 1 and all(_stem(p) in vocab for p in parts)


def source_text(source: dict) -> str:
    parts = []
    for key in SOURCE_FIELDS:
        value = source.get(key)
        if isinstance(value, (list, tuple)):
            parts.extend(str(v) for v in value)
        elif value:
            parts.append(str(value))
    return "\n".join(parts)


def citations(text: str, n_sources: int) -> list[int]:
    """The valid source numbers (1-based) cited in `text`, in order, without repeats."""
    seen = []
    for m in CITATION.finditer(text or ""):
        n = int(m.group(1))
        if 1 <= n <= n_sources and n not in seen:
            seen.append(n)
    return seen


def faithfulness(answer: str, sources: Sequence[dict], question: str) -> float:
    """Share of the answer's content words found in the question or the incidents it cites
    (all the sources when it cites none). 1.0 for an answer with no content words.

    `sources` are incident rows or an answer's `sources` entries, numbered from 1 as in the
    prompt; only their SOURCE_FIELDS count."""
    words = content_words(answer)
    if not words:
        return 1.0
    cited = citations(answer, len(sources)) or list(range(1, len(sources) + 1))
    vocab = vocabulary(question) | frozenset().union(*(vocabulary(source_text(sources[n - 1])) for n in cited))
    return sum(supported(w, vocab) for w in words) / len(words)


@dataclass
class Checked:
    """A sentence after the check: `text` with verified citations, or None when dropped."""

    text: str | None
    cited: list[int] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    citations_changed: bool = False


class Grounder:
    """The check for one question and its sources, sentence by sentence."""

    def __init__(self, sources: Sequence[dict], question: str):
        self.n = len(sources)
        self.question = vocabulary(question)
        self.vocabs = [vocabulary(source_text(s)) for s in sources]

    def check_sentence(self, sentence: str) -> Checked:
        words = [w for w in dict.fromkeys(content_words(sentence)) if not supported(w, self.question)]
        if not words:
            # Nothing beyond the question (or no content at all): it adds nothing to show.
            return Checked(None)
        covers = [{w for w in words if supported(w, vocab)} for vocab in self.vocabs]
        cited = citations(sentence, self.n)
        good = [n for n in cited if len(covers[n - 1]) >= MIN_SUPPORT * len(words)]
        covered = set().union(*(covers[n - 1] for n in good)) if good else set()
        while True:  # cite whatever covers the rest, most new words first
            gains = [(len(covers[i] - covered), -i) for i in range(self.n) if i + 1 not in good]
            best = max(gains, default=(0, 0))
            if best[0] == 0:
                break
            good.append(-best[1] + 1)
            covered |= covers[-best[1]]
        missing = [w for w in words if w not in covered]
        if missing or not good:
            return Checked(None, unsupported=missing)
        # A name (a service, a host, a version) must be in what the sentence cites, even when
        # the question says it: "the ledger-db outage was fixed by cancelling the migration [3]"
        # about another incident puts the question's service on the wrong fix.
        cited_vocab = frozenset().union(*(self.vocabs[n - 1] for n in good))
        names = [t for t in TOKEN.findall(CITATION.sub(" ", sentence).lower()) if len(PARTS.findall(t)) > 1]
        strays = [name for name in names if not supported(_stem(name), cited_vocab)]
        if strays:
            return Checked(None, unsupported=strays)
        good.sort()
        body = CITATION.sub("", sentence)
        body = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s{2,}", " ", body)).strip()
        end = body[-1] if body and body[-1] in ".!?" else "."
        body = body.rstrip(".!? ")
        text = f"{body} " + "".join(f"[{n}]" for n in good) + end
        return Checked(text, good, [], good != cited)

    def check(self, text: str) -> tuple[str, int]:
        """All of `text`: (kept sentences joined, number dropped)."""
        kept, dropped = [], 0
        for sentence in split_sentences(text):
            result = self.check_sentence(sentence)
            if result.text:
                kept.append(result.text)
            else:
                dropped += 1
        return " ".join(kept), dropped


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text or "") if s and s.strip()]


class SentenceStream:
    """Streamed pieces in, checked sentences out: a sentence is shown only once it is complete
    and has passed the check."""

    def __init__(self, grounder: Grounder, on_sentence: Callable[[str], None] | None = None):
        self.grounder = grounder
        self.on_sentence = on_sentence
        self.buffer = ""
        self.kept: list[str] = []
        self.dropped = 0

    def feed(self, piece: str) -> list[str]:
        self.buffer += piece
        parts = SENTENCE_END.split(self.buffer)
        self.buffer = parts.pop()  # the unfinished sentence
        return self._check(parts)

    def close(self) -> list[str]:
        rest, self.buffer = self.buffer, ""
        return self._check([rest])

    def _check(self, sentences: Iterable[str]) -> list[str]:
        out = []
        for sentence in sentences:
            if not sentence or not sentence.strip():
                continue
            result = self.grounder.check_sentence(sentence.strip())
            if result.text:
                out.append(result.text)
                if self.on_sentence:
                    self.on_sentence(result.text)
            else:
                self.dropped += 1
        self.kept.extend(out)
        return out

    @property
    def text(self) -> str:
        return " ".join(self.kept)
