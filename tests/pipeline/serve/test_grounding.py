"""The grounding check and the faithfulness score (pure functions: no model, no index)."""

from pipeline.serve.answer import MatchThreshold, evidence_text, fit_match_threshold, strip_links
from pipeline.serve.grounding import Grounder, SentenceStream, content_words, faithfulness
from tests.pipeline.incidents import INCIDENTS

DNS, KAFKA, RELEASE = (next(i for i in INCIDENTS if i["source_id"] == s) for s in ("dns-timeouts", "kafka-disk", "bad-release"))
SOURCES = [DNS, KAFKA, RELEASE]
QUESTION = "DNS lookups timing out in the payments cluster, what fixed it last time?"


def check(sentence: str):
    return Grounder(SOURCES, QUESTION).check_sentence(sentence)


def test_content_words_keep_entities_and_drop_framing():
    words = content_words("The root cause of the incident was ledger-db v4.12 hitting ENOSPC with 502 errors [2].")
    assert words == ["ledger-db", "v4.12", "hit", "enospc", "502", "error"]


def test_a_supported_sentence_is_kept_and_its_wrong_citation_corrected():
    result = check("Scaling CoreDNS to 6 replicas fixed it [2].")
    assert result.text == "Scaling CoreDNS to 6 replicas fixed it [1]." and result.citations_changed


def test_an_uncited_sentence_gets_the_one_source_that_supports_it():
    assert check("We enabled NodeLocal DNSCache.").text == "We enabled NodeLocal DNSCache [1]."


def test_a_sentence_drawing_on_two_incidents_cites_both():
    result = check("CoreDNS was CPU throttled and the kafka disks filled [1].")
    assert result.cited == [1, 2] and result.text.endswith("[1][2].")


def test_unsupported_content_is_dropped_whatever_it_cites():
    for sentence in (
        "It was a game changer for the industry.",
        "[3] Encrypted volumes",  # cites a real source, which says nothing about encryption
        "Rolled back the DNS change to v4.13 [3].",  # one wrong version number is enough
        "The payments cluster.",  # nothing beyond the question
    ):
        assert check(sentence).text is None, sentence


def test_correct_citation_is_left_alone():
    result = check("Rolled back to v4.11 [3].")
    assert result.text == "Rolled back to v4.11 [3]." and not result.citations_changed


def test_streamed_sentences_are_released_only_once_complete_and_checked():
    shown = []
    stream = SentenceStream(Grounder(SOURCES, QUESTION), shown.append)
    for piece in ["Scaled Core", "DNS to 6 replicas [1]. It was", " a game changer. Grew the EBS", " volumes [2]"]:
        stream.feed(piece)
        assert all(s.endswith("].") for s in shown)
    assert shown == ["Scaled CoreDNS to 6 replicas [1]."]
    stream.close()
    assert shown[-1] == "Grew the EBS volumes [2]." and stream.dropped == 1
    assert stream.text == "Scaled CoreDNS to 6 replicas [1]. Grew the EBS volumes [2]."


def test_faithfulness_is_the_share_of_content_words_in_the_question_or_the_cited_incidents():
    assert faithfulness("Scaled CoreDNS to 6 replicas [1].", SOURCES, QUESTION) == 1.0
    # cites [2] (kafka), which has none of these words
    assert faithfulness("Enabled NodeLocal DNSCache [2].", SOURCES, QUESTION) == 0.0
    # no citation: any source may support it
    assert faithfulness("Scaled CoreDNS to 6 replicas.", SOURCES, QUESTION) == 1.0
    half = faithfulness("Scaled CoreDNS, a game changer [1].", SOURCES, QUESTION)
    assert half == 2 / 4  # scale, coredns supported; game, changer not
    assert faithfulness("", SOURCES, QUESTION) == 1.0


def test_links_are_reduced_to_their_text():
    text = (
        "see [the runbook](https://x.example/a) and [dashboard][d], <https://y.example/b>, "
        "![graph](https://z.example/c.png) https://w.example/d <a href=\"https://v.example\">ticket</a>\n"
        "[d]: https://u.example/e"
    )
    out = strip_links(text)
    assert "example" not in out and "graph" not in out
    assert "the runbook" in out and "dashboard" in out and "ticket" in out


def test_evidence_names_the_match_or_says_there_is_none():
    sources = [dict(s, url="https://wiki.example/pm/1") for s in SOURCES]
    close = evidence_text(sources, True)
    assert close.startswith("This looks like [1] Intermittent DNS timeouts in the payments cluster (2024-03-02).")
    assert f"Root cause: {DNS['root_cause']}" in close and f"What fixed it: {DNS['fix']}" in close
    assert "https://wiki.example/pm/1" in close and "Also similar: [2] Kafka broker disk full" in close
    far = evidence_text(sources, False)
    assert far.startswith("No close past incident: no stored post-mortem is close to this question.")
    assert "for reference only" in far and "What fixed it" not in far
    assert faithfulness(close, sources, QUESTION) == faithfulness(far, sources, QUESTION) == 1.0


def test_match_threshold_fit_separates_the_classes_and_needs_enough_of_each():
    rows = [(0.5 + i / 100, True) for i in range(12)] + [(0.2 + i / 100, False) for i in range(12)]
    fitted = fit_match_threshold(rows)
    assert 0.31 < fitted.threshold < 0.5 and fitted.n == 24
    assert fit_match_threshold(rows[:15]) == MatchThreshold()  # 3 no-match rows: too few


def test_a_name_from_the_question_must_be_in_the_incident_cited():
    grounder = Grounder(SOURCES, "ledger-writer stuck again, what fixed it?")
    # CoreDNS is [1]'s fix, but [1] never mentions the ledger-writer: the sentence would put
    # the question's service on another incident's fix.
    assert grounder.check_sentence("The ledger-writer was fixed by scaling CoreDNS to 6 replicas [1].").text is None
    asked = Grounder(SOURCES, "payments-api DNS lookups failing, what fixed it?")
    kept = asked.check_sentence("Scaling CoreDNS to 6 replicas fixed the payments-api lookups [1].")
    assert kept.text == "Scaling CoreDNS to 6 replicas fixed the payments-api lookups [1]."
