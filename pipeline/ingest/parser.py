"""Markdown post-mortem -> structured fields.

Real post-mortems come in many shapes: fixed templates with tables, YAML front matter over
bold-label bullets, `### HH:MM` timelines, Google-SRE headings, free prose. The parser reads
them in three passes, most explicit first:

1. front matter (YAML) and structured properties a connector passes in `meta`;
2. blocks: markdown sections (by heading) and bold-label bullets (`- **Resolution**: ...`),
   mapped onto fields by heading synonyms;
3. prose heuristics for what is still missing: cause and fix sentences found in the summary,
   the other sections and the last timeline entries ("caused by", "rolled back", ...).

A document that still has no root cause or no fix is excluded, with a reason code.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import re
import unicodedata
from collections import Counter
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

import yaml
from markdown_it import MarkdownIt

from pipeline.ingest.formats import DOCUMENT_EXTENSIONS, SPEAKER_TURN, RefusedYaml, SafeYamlLoader, extension_pattern
from pipeline.ingest.record import STORY
from pipeline.ingest.taxonomy import PARAGRAPH_BREAK, RULED_OUT
from pipeline.text import STOPS_MID_SENTENCE, clip, indent_width

# Block structure only (headings, fences, tables): the parser reads an inline token's raw
# `content`, never its children, and inline parsing is where markdown-it is slow on hostile
# text (20,000 unclosed `![` took seconds in its link-label scan).
_md = MarkdownIt("commonmark").enable("table").disable(["inline", "text_join"])

# -- heading / label synonyms ------------------------------------------------------------------

# What only looked like the cause: "Wrong first theory", "The first theory (and why it was
# wrong)", "Why did memcached look guilty?", "Red herrings", "Wrong turn 1: the new node
# image", "Dead ends". Never the cause, and never the fix either.
WRONG_LEAD = (
    r"(?:the\s+|our\s+)?(?:wrong\s+|first\s+|initial\s+){1,2}(?:theory|theories|hypothes[ie]s|suspicions?|diagnosis)\b.*"
    r"|why\s+(?:did\s+)?(?:[\w'-]+\s+){1,4}(?:look|looked|seem|seemed)\s+(?:guilty|like|responsible|suspicious|to\s+blame)\b.*|red\s+herrings?"
    r"|(?:wrong\s+turns?|dead\s+ends?|false\s+(?:leads?|starts?))\b.*"
)
WRONG_LEAD_LABEL = re.compile(rf"^(?:{WRONG_LEAD})$", re.I)

# A later update's own label: "Corrected root cause", "Revised resolution".
CORRECTED = r"corrected|revised|updated"
# "Countermeasures", "counter-measure": a Lean A3's and a Japanese-style report's word.
COUNTERMEASURE = r"counter[\s-]?measures?"
FIELD_LABELS: dict[str, re.Pattern] = {
    "root_cause": re.compile(
        # "So, the cause", "So what was it?": a narrative's turn to the explanation.
        # "The actual cause", "The real culprit": the explanation after a wrong first guess;
        # "Agreed cause", "Confirmed root cause": the one a review settled on.
        rf"^(?:so[,:]?\s+)?(?:the\s+)?(?:(?:actual|real|true|agreed|confirmed|final|{CORRECTED})\s+)?(?:root[\s-]*causes?(?:\s+(?:analysis|statement|determination|findings?|description|details|notes|investigation))?(?:\s+and\s+\w+|\s+of\s+(?:the\s+)?[\w-]+|\s+in\s+(?:one|a)\s+(?:line|sentence))?|rca|rc|culprit|what\s+was\s+it"
        # A provider's letter: "Reason for Outage" (RFO); a form's "Fault cause", "Outage cause".
        r"|rfo|reason\s+for\s+(?:the\s+)?(?:outage|failure|incident|disruption|interruption|degradation|fault)(?:\s+\(rfo\))?"
        # As a team writing in its second language puts it: "Reason of the disturbance",
        # "Technical description of the cause".
        r"|reason\s+of\s+(?:the\s+)?(?:outage|failure|incident|disruption|interruption|disturbance|malfunction|fault)|(?:technical\s+)?description\s+of\s+(?:the\s+)?cause"
        r"|(?:fault|outage|incident|failure|problem|disruption)\s+(?:cause|reason)"
        r"|causes?(?:\s+(?:summary|notes|description|details|investigation))?|caus(?:al|e)\s+analysis|why\s+(?:it|this|did\s+(?:it|this))\s+(?:actually\s+|really\s+)?happen(?:ed)?\??|what\s+(?:actually\s+|really\s+)?caused\s+(?:it|this|the\s+\w+)\??"
        r"|triggers?|fault|underlying\s+(?:cause|issue|reason|problem)|cause\s+of\s+(?:the\s+)?\w+|(?:technical|immediate|direct|proximate|primary|(?:most\s+)?probable)\s+cause|occurrence\s+(?:root\s+)?cause|(?:the\s+)?(?:bug|defect)"
        # A Five Whys chain: "## Five Whys", "## The Whys", "7. Five whys (abridged)".
        r"|(?:\d+\.\s*)?(?:the\s+)?(?:(?:5|five)\s+)?whys(?:\s*\([^)]*\))?"
        r"|what\s+went\s+wrong\s+(?:technically|and\s+why)|how\s+we\s+got\s+here|why"
        # A problem record's "Diagnosis": what the dump and the logs showed had gone wrong.
        r"|diagnosis"
        # A blog's question: "So what actually broke?"
        r"|(?:so\s+)?what\s+(?:actually\s+|really\s+|exactly\s+)?broke(?:\s+and\s+why)?\??"
        # "What happened" is the story; "What actually happened" is the explanation after it.
        # An informal write-up's "so what happened was: ..." after the story of what people saw.
        r"|(?:so\s+)?what\s+(?:actually|really)\s+happened\??|so,?\s+what\s+happened(?:\s+was)?\??|what\s+set\s+it\s+off|what\s+it\s+(?:actually|really)\s+was"
        r"|what\s+was\s+(?:actually\s+|really\s+)?wrong|what\s+we\s+found|what\s+was\s+the\s+(?:actual\s+|real\s+)?(?:root\s+)?cause"
        # An interview's closing question: "If you had to say in one line what caused it?"
        r"|(?:if\s+you\s+had\s+to\s+(?:say|sum\s+(?:it\s+)?up)\s+)?in\s+(?:one|a)\s+(?:line|sentence),?\s+what\s+caused\s+(?:it|this)"
        # A shift handover's incident entry: "What failed:", then "Restored by:".
        r"|what\s+failed"
        # A form's row for the mechanism: "What filled the disks", "What took the API down".
        r"|what\s+(?:filled|exhausted|saturated|overloaded)\s+(?:up\s+)?(?:the\s+|our\s+)?[\w-]+(?:\s+[\w-]+)?|what\s+took\s+(?:the\s+|our\s+)?[\w-]+(?:\s+[\w-]+)?\s+down"
        # An engineering blog's turn from the story to the explanation.
        r"|a\s+closer\s+look|digging\s+in(?:to\s+it)?|what\s+went\s+wrong\s+(?:at|with|in|inside)\s+(?:our|the)"
        # (Not with the response: "What went wrong in our response" is hindsight.)
        r"(?!\s+(?:incident\s+)?(?:response|handling|communication|process|on-?call|escalation))(?:\s+[\w'-]+){1,3}"
        # "Why vacuum couldn't keep up", "Why the cluster ran out of IPs": why a component failed
        # (why the responders or the alerts failed is hindsight, below).
        # "Why the plan changed", "Why the queue backed up"; not the fix's ("Why the rollback worked").
        # Not why a safeguard failed to stop it ("Why our preparations didn't prevent it"): hindsight.
        r"|why\s+(?!we\b|it\s+took|(?:the\s+|our\s+)?(?:alert|monitor|detect|pag|on-?call|respon|fix\b|rollback|roll-back|restart|revert|mitigation|workaround))"
        r"(?!(?:[\w'-]+\s+){1,4}(?:didn't|did\s+not|couldn't|could\s+not|failed\s+to)\s+(?:prevent|catch|stop|detect|notice)\b)"
        r"(?:the\s+|our\s+)?[\w-]+(?:\s+[\w-]+)?\s+"
        r"(?:couldn't|could\s+not|didn't|did\s+not|failed|stopped|broke|went\s+(?:down|blank|dark|offline|stale|silent|quiet|wrong)|ran\s+out|fell\s+over|crashed|was\s+(?:slow|down|unavailable)"
        r"|changed|flipped|regressed|stalled|hung|leaked|overflowed|expired|misbehaved|slowed\s+down|filled(?:\s+up)?|backed\s+up)\b.*)$",
        re.I,
    ),
    # Factors that let a trigger become an incident: part of the cause, rarely the trigger itself.
    # An 8D report's "Escape root cause": why the defect was not caught, beside how it occurred.
    "contributing": re.compile(r"^(?:(?:contributing|causal)\s+factors?(?:\s*\([^)]*\))?|(?:escape|non[\s-]?detection)\s+(?:root\s+)?cause.*)$", re.I),
    "fix": re.compile(
        rf"^(?:the\s+)?(?:(?:{CORRECTED})\s+)?(?:resolution(?:\s+and\s+recovery)?|remediation|(?:mitigation|recovery|(?:service\s+)?restoration)(?:\s+(?:steps|actions?))?"
        # A maintenance form's "Repair carried out", "Repairs made": the engineer's own past tense.
        r"|repairs?(?:\s+(?:carried\s+out|done|made|completed|performed|undertaken))?|(?:work|actions?)\s+carried\s+out"
        r"|how\s+(?:we|it\s+was|this\s+was)\s+(?:fixed|resolved|stopped|mitigated)(?:\s+it)?(?:\s+on\s+the\s+day)?"
        # A FAQ's question: "How was it fixed?", "How was power restored?"
        r"|how\s+(?:was|were)\s+(?:it|this|they|the\s+[\w-]+|[\w-]+)\s+(?:fixed|resolved|restored|mitigated|recovered|brought\s+back)"
        r"|how\s+did\s+we\s+(?:fix|resolve|stop|mitigate)\s+(?:it|this|the\s+\w+)|fix(?:es)?(?:\s+notes)?|the\s+fix|resolution\s+(?:steps|details|summary|notes|description)"
        # A service desk's record: "Resolution notes", "Close notes" (what was done to close it).
        r"|clos(?:e|ure)\s+notes"
        # A service desk's or a provider's past tense: what was done, not what will be.
        r"|(?:remedial\s+)?actions?\s+taken(?:\s+to\s+(?:restore|resolve|fix|mitigate|recover)\b.*)?"
        # A contractor's report: "Remedial actions" (what was done), then "Preventive measures".
        r"|remedial\s+(?:actions?|measures|steps|work)(?:\s+\((?:completed|taken|done)\))?"
        r"|immediate\s+(?:fix|actions?|remediation|resolution)(?:\s+taken)?|workaround|circumvention"
        # "Solution applied: revert of the PR", as a team writing in its second language puts it.
        r"|solution(?:\s+(?:applied|implemented))?|(?:taken|applied)\s+measures|measures\s+(?:taken|applied)"
        # A Japanese-style report's "Provisional countermeasure" beside its "Permanent countermeasure".
        rf"|(?:provisional|interim|temporary|immediate|permanent)\s+{COUNTERMEASURE}(?:\s*\((?:completed|done)\b[^()]*\))?"
        # A quality system's (ISO 9001, CAPA) "Immediate correction": what put it right on the day.
        r"|immediate\s+corrections?|corrections?\s+(?:taken|made|applied)|corrections?\s+\((?:done|taken|made|applied)\b[^()]*\)"
        # An 8D report's containment (what stopped the harm) and its permanent corrective action.
        r"|(?:interim\s+)?containment(?:\s+actions?)?|(?:chosen\s+|implemented\s+)?permanent\s+corrective\s+actions?"
        # Its D6, where the permanent fix is put in and checked.
        r"|implement(?:ation)?\s+(?:and|&)\s+validat(?:e|ion)(?:\s+(?:of\s+)?(?:the\s+)?(?:permanent\s+)?corrective\s+actions?)?"
        # A problem record's "Permanent Fix" beside its "Workaround".
        r"|(?:permanent|final|long[\s-]term)\s+(?:fix|solution|resolution|remedy)|what\s+(?:we|I)\s+did(?:\s+to\s+fix\s+it|\s+about\s+it)?|what\s+we(?:'ve|\s+have)\s+done(?:\s+to\s+fix\s+it|\s+about\s+it)?"
        r"|what\s+(?:actually\s+|finally\s+|really\s+)?(?:fixed|stopped)\s+it|how\s+(?:it\s+got|it\s+was\s+finally)\s+fixed|how\s+(?:the\s+)?service\s+was\s+(?:restored|brought\s+back|recovered)|getting\s+back\s+to\s+green"
        r"|(?:fixed|resolved|mitigated|remediated|(?:service\s+)?restored)\s+by|fixing\s+(?:it|this|things)|how\s+we\s+(?:recovered|restored|repaired|brought\s+back)\b.*|how\s+we\s+got\s+(?:out(?:\s+of\s+it)?|(?:it|(?:the\s+)?service|things|everything)\s+(?:back(?:\s+up)?|working\s+again))"
        # A significant event analysis's "What was done on the day"; a Q&A's "What did we do to fix it?"
        r"|what\s+was\s+done(?:\s+on\s+the\s+day|\s+to\s+(?:fix|resolve|restore)\s+(?:it|this|service)|\s+about\s+it)?"
        r"|what\s+did\s+we\s+do\s+to\s+(?:fix|resolve)\s+(?:it|this)"
        # A learning review's "What we changed": the fix first, then what keeps it from coming back.
        r"|what\s+we(?:'ve|\s+have)?\s+changed"
        # A fix's own pull request, commit or release: what it changes is the fix.
        r"|what\s+this\s+(?:commit|patch|change|pr|mr|pull\s+request|merge\s+request)\s+(?:does|changes|fixes)"
        r"|(?:changes|what\s+changed)\s+in\s+this\s+(?:commit|patch|pr|mr|pull\s+request|merge\s+request|release))$",
        re.I,
    ),
    # A response story (cloud reviews' "How did we respond?", "Remediation and prevention"):
    # detection, diagnosis and what fixed it, so the fix is picked from its fix sentences.
    "response": re.compile(
        r"^(?:how\s+did\s+we\s+respond|how\s+we\s+responded|(?:incident\s+)?response(?:\s+and\s+(?:recovery|mitigation|remediation))?|remediation\s+and\s+prevention"
        r"|mitigation\s+and\s+(?:recovery|remediation)|recovery\s+and\s+remediation)$",
        re.I,
    ),
    "timeline": re.compile(
        r"^(?:detailed\s+)?(?:timeline|context|key\s+events|chronology|sequence\s+of\s+events|incident\s+timeline|events|(?:incident|response|event)\s+log)$"
        # A ticket's journal, as a desk exports it: its dated work notes and activity tell the story.
        r"|^(?:(?:[\w-]+\s+)?work[\s_-]*notes?(?:\s+list)?|(?:[\w-]+\s+)?work[\s_-]*log|activit(?:y|ies)(?:\s+(?:log|stream|history|feed))?|journal(?:\s+entries)?)(?:\s*\(\d+\))?$",
        re.I,
    ),
    "action_items": re.compile(
        r"^(?:action\s+items?|follow[\s-]*ups?(?:\s+(?:actions|items|status))?|review\s+actions|next\s+steps|corrective(?:\s+and\s+preventative)?\s+actions?"
        # Countermeasures: the fix where no section tells one (corrective_as_fix).
        rf"|{COUNTERMEASURE}(?:\s*(?:and|/)\s*(?:implementation\s+)?plan)?"
        r"|prevent(?:at)?ive\s+(?:actions?|measures|steps)|remediation\s+items|todos?|actions?|recommendations?|(?:further|additional)\s+actions?"
        r"|how\s+(?:are|will)\s+we\s+(?:mak(?:e|ing)|prevent(?:ing)?|reduc(?:e|ing))\b.*|what\s+we(?:'re|\s+are)\s+doing\s+about\s+it"
        r"|(?:preventing|prevention\s+of)\s+(?:recurrence|future\s+incidents)|recurrence\s+prevention(?:\s+measures)?|corrective\s+and\s+preventive\s+actions"
        r"|what\s+we(?:'re|\s+are)\s+(?:changing|doing\s+next)|what(?:'s|\s+is|\s+happens)\s+next|what\s+we(?:'ll|\s+will)\s+do(?:\s+next|\s+differently)?)$",
        re.I,
    ),
    "impact": re.compile(
        r"^(?:(?:detailed\s+description\s+of\s+)?(?:customer\s+|user\s+|business\s+)?impact|what\s+(?:users|customers)\s+(?:saw|experienced)"
        r"|who\s+(?:was|were)\s+(?:affected|impacted)|(?:customers?|users?)\s+(?:affected|impacted))$",
        re.I
    ),
    # "Cause / fix", "Root cause and resolution": both told in one short section (cause_and_fix_apart).
    "cause_and_fix": re.compile(r"^(?:(?:the\s+)?(?:root\s+)?cause)\s*(?:/|&|and)\s*(?:(?:the\s+)?fix|resolution|remediation)$", re.I),
    "summary": re.compile(
        # A form's "Brief description of event", "Problem description", "Summary of incident".
        r"^(?:(?:incident|executive|issue|event|problem|fault|brief)\s+)?(?:summary|overview|description|what\s+happened\??|background|tl;?dr|narrative|(?:the\s+)?story|short\s+version)"
        r"(?:\s+of\s+(?:the\s+)?(?:incident|outage|event|issue|problem|fault))?$"
        # A retro board's facts sit on the facilitator's summary card, beside the team's cards.
        r"|^(?:(?:the\s+)?facilitator(?:'s)?\s+|retro(?:spective)?\s+|board\s+)?summary\s+card$|^(?:the\s+)?facilitator(?:'s)?\s+(?:summary|notes)$",
        re.I,
    ),
    "services": re.compile(
        r"^(?:services?(?:\s+(?:affected|involved|impacted|hit))?|(?:affected|impacted)(?:\s+(?:services|systems|components))?|components?(?:\s+(?:affected|involved))?"
        r"|systems?(?:\s+(?:affected|involved|impacted))?"
        # "Surfaces affected", "Impacted products", "Features affected".
        r"|(?:products?|features?|surfaces?|applications?|apps?|platforms?)\s+(?:affected|impacted)"
        r"|(?:affected|impacted)\s+(?:products?|features?|surfaces?|applications?|apps?|platforms?|services?|systems?|components?)"
        # A service desk's record: "Business Service", "Configuration Item", "Affected CI".
        # ITIL's "Business Services Impacted".
        r"|business\s+services?(?:\s+(?:affected|impacted))?|(?:affected\s+)?configuration\s+items?|affected\s+cis?)$",
        re.I,
    ),
    "date": re.compile(r"^(?:date(?:\s+of\s+(?:the\s+)?incident)?|incident\s+date|start(?:ed)?|start\s+time|occurred)$", re.I),
    # A service desk record's "Short Description" is its title.
    "title": re.compile(r"^(?:(?:incident\s+|event\s+|problem\s+)?(?:short\s+)?title|(?:incident|event|problem)\s+name|short\s+description)$", re.I),
    # A ticket's "Cause code" or "Root cause code" classifies the cause; it tells none.
    "category": re.compile(r"^(?:(?:root[\s-]*cause\s+)?category|(?:root[\s-]*)?cause\s+code)$", re.I),
    "detection": re.compile(
        r"^(?:identified|detection|discovery|detected|how\s+(?:it\s+was|we|was\s+it)\s+(?:detected|noticed|discovered|found)"
        r"|discovered|how\s+we\s+found\s+out)$",
        re.I,
    ),
    # How the system works, told before the incident ("How our edge routing works", "Some
    # background on our queueing layer"): its "because" is the design's, never the cause.
    "system": re.compile(r"^(?:how\s+(?:[\w'-]+\s+){1,5}works?|some\s+background\s+on\b.*)$", re.I),
    # Roles that are never the cause or the fix, however causal their wording.
    "lessons": re.compile(
        r"^(?:lessons?\s+learn(?:ed|t)|learnings?|(?:key\s+)?takeaways?|what\s+(?:went|we\s+did)\s+(?:well|right)"
        r"|things\s+that\s+went\s+well|what\s+we\s+learn(?:ed|t)|where\s+we\s+got\s+lucky|what\s+went\s+(?:well|badly)\s+and\s+\w+"
        r"|how\s+can\s+customers\b.*|what\s+went\s+poorly|lessons|what\s+(?:didn't|did\s+not)(?:\s+(?:go\s+(?:well|so\s+well)|work))?"
        # "What went less well", "What could have gone better": the response's, never the cause's.
        r"|(?:what|things\s+that)\s+(?:went\s+(?:less|not\s+so)\s+well|could\s+have\s+(?:gone|been\s+done|been)\s+better)"
        # A retro board's columns of the team's cards: Mad / Sad / Glad, the 4Ls, Start / Stop /
        # Continue. Their "because" is a feeling about the response.
        r"|mad|sad|glad|puzzles?|liked|lacked|longed\s+for|(?:start|stop|keep|continue)\s+doing|more\s+of|less\s+of)$",
        re.I,
    ),
    # Why the response was slow or misled: its "because" is about the responders, never the
    # cause, though its story may end on what fixed it.
    "hindsight": re.compile(
        r"^(?:why\s+(?:it|this|recovery|detection|diagnosis)\s+took\b.*|why\s+(?:the\s+)?[\w\s]{1,30}?\s+misled\s+us"
        r"|why\s+(?:[\w'-]+\s+){1,4}(?:didn't|did\s+not|couldn't|could\s+not|failed\s+to)\s+(?:prevent|catch|stop|detect|notice)\b.*"
        # "Why it was not caught", "Why this wasn't detected sooner", "Why it went unnoticed".
        r"|why\s+(?:it|this|the\s+[\w-]+)\s+(?:was\s+not|wasn't|went)\s+(?:caught|detected|noticed|spotted|prevented|unnoticed|undetected)\b.*"
        r"|what\s+made\s+(?:it|this)\s+(?:hard|harder|difficult|slow)"
        r"|what\s+we\s+(?:got\s+wrong|could\s+have\s+done\s+better|did\s+wrong)\s+in\s+(?:the|our)\s+(?:response|handling|incident\s+response)"
        r"|" + WRONG_LEAD + r")$",
        re.I,
    ),
    "status": re.compile(
        r"^(?:(?:post[\s-]?mortem|incident|document|report|review|page|rca)\s+)?(?:status|state)(?:\s+(?:at|as\s+of)\s+(?:the\s+)?time\s+of\s+writing"
        # "Status of this doc: draft, to be reviewed".
        r"|\s+of\s+(?:this|the)\s+(?:doc(?:ument)?|report|page|write-?up|post[\s-]?mortem|review))?$", re.I
    ),
    # The cause told as a story, or a list of what the response could have done better: which
    # one, its text and the page's other questions tell (read_blocks).
    "went_wrong": re.compile(r"^[\W\d_]*what\s+went\s+wrong\W*$", re.I),
}

# -- prose heuristics --------------------------------------------------------------------------

# "The trigger was an access policy change.", "The root of it was an old race condition": the
# writer naming the cause as such.
# A timeline's "12:20 Cause found." or "08:41 Cause identified: ...": the cause comes next.
CAUSE_FOUND = r"\b(?:root\s+)?cause\s+(?:found|identified|confirmed|located|clear|established)"
CAUSE_NAMED = (
    r"the\s+(?:trigger|root|source|origin)\s+(?:of\s+(?:it|this|(?:this|that|the)\s+(?:\w+\s+)?(?:problem|issue|outage|incident|failure|event|disruption|degradation))\s+)?was"
    r"|the\s+(?:actual|real|true|direct|immediate|proximate)\s+cause\s+(?:was|is)|\b(?:actual|real|true|root)\s+cause(?=\s*=\s*\w)"
    # A fault tree's or a causal factor chart's conclusion: "The initiating basic event is
    # physical: ...", "The initiating causal factor is the 4.12 release".
    r"|the\s+(?:initiating|primary|principal)\s+(?:basic\s+)?(?:causal\s+factor|cause|event)\s+(?:was|is)\b"
    # The cause as the subject: "That audience setting on the duplicated campaign was the whole cause".
    r"|(?:was|is)\s+the\s+(?:whole|entire|only|sole|actual|real|true|direct|immediate)\s+cause\b(?!\s+of\s+(?:the\s+)?(?:delay|confusion))"
    # "The cause, in short, was the library upgrade that shipped in 7.14.0".
    # "So the cause is simple to state: the upgrade changed a default", "The root cause was twofold:".
    r"|the\s+(?:root\s+)?cause\s+(?:is|was)\s+(?:[\w-]+\s+){0,3}?[\w-]+(?=\s*:)"
    # A journal's note names whose it was: "Cause on their side: a storage node failure ...".
    r"|^(?:the\s+)?(?:root\s+)?cause\s+(?:on|at|from|in|with)\s+(?:[\w'’.-]+\s+){0,2}?[\w'’.-]+(?=\s*:)"
    r"|the\s+cause,\s*(?:in\s+short|in\s+brief|simply\s+put|put\s+simply|in\s+a\s+nutshell|in\s+summary|then),?\s+(?:was|is)\b|\b(?:this|that)\s+(?:is|was)\s+the\s+(?:root\s+)?cause(?=\s*:)"
    # "... for what actually happened, which is that the disk under the queue started failing."
    r"|what\s+(?:actually|really)\s+happened(?:,?\s+which)?\s+(?:is|was)\s+that"
    # "What had actually changed was on our side."
    r"|what\s+(?:had\s+|has\s+)?(?:actually\s+|really\s+)?(?:changed|broke|went\s+wrong)\s+(?:is|was)\b"
    # A status page's "Identified" update: "We have identified the issue: one of the two ...".
    r"|identified\s+the\s+(?:issue|problem|cause|root\s+cause)(?=\s*(?::|as\b))"
    # A timeline's diagnosis: "14:21 Confirmed in the server logs: 1.4.2 raised the protocol ..."
    r"|confirmed\s+(?:in|from|via|by|with)\s+(?:the\s+)?[\w\s-]{0,30}\w(?=:)"
    # A thread's "Found it: the window comes from ...".
    # A timeline's present tense too: "11:05 Tobias finds it: if a client disconnects ...".
    r"|(?:found|finds)\s+it(?=\s*[:!])|" + CAUSE_FOUND + r"(?=\s*:)|(?:found|finds|figured\s+out|figures\s+out|tracked\s+down|tracks\s+down)\s+the\s+(?:culprit|cause|root\s+cause|problem|bug)(?=\s*:)"
)
# What a defect is called, in the cue "a latent bug in ..." and the strong "a known deadlock in ...".
DEFECT = r"(?:bug|defect|regression|race\s+condition|deadlock)"
CAUSE_CUES = re.compile(
    r"\b(?:caused\s+by|root[\s-]*cause|was\s+due\s+to|were\s+due\s+to|due\s+to|because(?:\s+of)?|the\s+cause\s+(?:of|was)"
    r"|underlying\s+(?:issue|cause|problem)|triggered\s+by|was\s+the\s+result\s+of|resulted\s+from|stemmed\s+from"
    r"|identified\s+that|found\s+that|(?:determined|established|concluded)\s+that|turn(?:ed|s)\s+out|traced\s+(?:\w+\s+)?(?:back\s+)?to|traces?\s+back\s+to|the\s+(?:real\s+|actual\s+)?(?:issue|problem)\s+was\s+(?:that|caused|due|with|in|our|an?|the)\b"
    r"|culprit|the\s+reason|led\s+to|leading\s+to|result(?:ed|ing)\s+in|which\s+meant|caused|causing"
    r"|(?:occurred|started|happened|began)\s+(?:\w+\s+)?(?:after|following)|following\s+(?:a|an|the)\s+\w+"
    r"|(?:after|when)\s+(?:a|an|the|we)\s+(?:\w+\s+){0,3}(?:upgrade|deploy\w*|release|change|migration|rollout)"
    r"|(?:started|began|coincided)\s+with\s+(?:a|an|the|our)\s+(?:\w+\s+){0,2}(?:upgrade|update|deploy\w*|release|change|migration|rollout)"
    # Failure mechanisms, weaker than the phrases above but still what a cause sentence says.
    r"|exhaust(?:ed|ing)|(?:ran|run|running)\s+out\s+of|(?:is|are|was|were)\s+out\s+of\s+(?:free\s+|available\s+)?(?:addresses|ips|ip\s+addresses|space|disk|memory|inodes|capacity|connections|quota)\b|(?:suffered|developed|had|experienced)\s+(?:a|an)\s+(?:[\w-]+\s+){0,2}(?:fault|failure)|(?:targeted|flooded|overwhelmed)\s+by\s+(?:a|an)\b|(?:which|that)\s+broke|expired|(?:was|were)\s+(?:accidentally\s+)?deleted|vulnerabilit(?:y|ies)|CVE-\d+-\d+"
    r"|(?:was|were)\s+(?:pushed|leaked|exposed|misconfigured|removed)|" + CAUSE_NAMED
    + r"|(?:a|an)\s+(?:latent\s+|long[\s-]standing\s+|subtle\s+|known\s+)?" + DEFECT + r"\s+in"
    # "Release 5.2.0 introduced a JavaScript error in Safari": what a change brought with it.
    r"|introduc(?:ed|es)\s+(?:a|an)\s+(?:[\w-]+\s+){0,2}(?:error|fault|leak|" + DEFECT + r")"
    r"|(?:some|several|a\s+few|a\s+couple\s+of|two|three|multiple)\s+(?:\w+\s+)?(?:bugs|defects)\s+in)\b"
    # A thread's conclusion after the evidence: "So this is packet loss on the zone-b egress path."
    r"|^so\s+(?:this|it|that)(?:\s+is|\s+was|'s)\s+(?!not\b|(?:all\s+)?(?:fine|ok|okay|good|working|done|resolved|fixed|settled)\b)"
    # The turn from the wrong guess to what it was: "It wasn't that: the new exporter threw ...".
    r"|\b(?:it|that|this)\s+(?:wasn'?t|was\s+not)\s+(?:that|it|the\s+[\w-]+(?:\s+[\w-]+)?)\s*[:;\u2014\u2013](?=\s)"
    # "It was actually a credential stuffing attack": the same turn, told the other way round.
    r"|\b(?:it|that|this)\s+was\s+(?:actually|really|in\s+fact)\s+(?:a|an|the|our)\b"
    # A change that did more than it was for: "The change was intended to tighten the Refunds
    # limit, but the rule was scoped too broadly".
    r"|\b(?:was|were)\s+(?:intended|meant|supposed)\s+to\b[^.;]{1,200}?,?\s+but\b",
    re.I,
)
# "noticed because someone looked at a dashboard": the words that tell how it was found, so
# their "because" is not read as a cause cue. Likewise "At 13:05 we confirmed the root cause, and
# began ...": the response's story, where the cause is found but not told.
DETECTION_PHRASE = re.compile(
    r"\b(?:noticed|detected|spotted|discovered|alerted|paged|caught|flagged|reported)\s+(?:\w+\s+){0,3}?"
    r"(?:because|when|after|by|via|through|thanks\s+to)\b"
    # "... troubleshooting to find root cause": the search, not what it found.
    # "Keeping the MX on EU-North until Halyard confirm root cause": still to be found.
    r"|\b(?:identified|confirmed|found|determined|isolated|pinpointed|discovered|understood|established|to\s+(?:find|identify|determine)"
    r"|until\s+(?:\w+\s+){0,3}?(?:confirms?|finds?|identif(?:y|ies)|determines?|establish(?:es)?))\s+(?:the\s+)?(?:\w+\s+)?"
    r"root[\s-]*cause\b(?!\s*(?:as|to\s+be|was|is|of)\b|\s*:)"
    # A timeline's "Root cause investigation started", "Issue root cause identified".
    r"|\broot[\s-]*cause\s+(?:investigation|identified|found|confirmed|determined|located)\b(?!\s*:)",
    re.I,
)
# Why someone believed something ("Some users assumed their work wasn't saving because the
# badge was missing"): a reason for a belief, not the incident's cause.
BELIEF_REASON = re.compile(r"\b(?:assumed|thought|believed|worried|feared|figured|guessed)\b[^.;:\n]{0,80}?\bbecause\b", re.I)
# An apology, or the writer speaking of the write-up itself ("You deserve an explanation, and this
# one is longer than usual because ..."): neither cause nor fix, whatever its "because".
APOLOGY = re.compile(
    r"\W*(?:we\s+(?:are|'re)\s+(?:deeply\s+|very\s+|truly\s+|so\s+)?sorry|we\s+(?:sincerely\s+|deeply\s+)?apologi[sz]e"
    r"|you\s+deserve\s+(?:an?\s+|better\s+|more\s+|answers)|(?:this|the)\s+(?:one|post|write-?up|report)\s+is\s+(?:a\s+bit\s+|much\s+)?longer"
    # The writer on the write-up itself: "We want to explain what happened, in plain terms, because
    # ...", "It's a bit longer than our usual posts because ...".
    r"|we\s+(?:want|wanted|'d\s+like|would\s+like)\s+to\s+(?:explain|be\s+(?:open|transparent|clear))|it(?:'s|\s+is)\s+(?:a\s+bit\s+|much\s+)?longer\s+than)\b",
    re.I,
)
# A review declining the term: "we are not looking for a single "root cause" or a person to
# blame", "there is no single root cause".
NO_ROOT_CAUSE = re.compile(
    r"\b(?:not\s+(?:looking|searching)\s+for|no|(?:is|was|were)(?:\s+not|n't))\s+(?:(?:a|one|the|any)\s+)?(?:single\s+)?[\"“'‘]?root[\s-]causes?\b",
    re.I,
)
# What the responders tried that did not work: "We restarted two MTA processes, which changed nothing."
DID_NOT_HELP = re.compile(
    r"\b(?:changed\s+nothing|(?:did\s+not|didn't|did\s+nothing\s+to)\s+(?:help|fix|resolve|stop|change|improve)\b|had\s+no\s+(?:visible\s+)?effect"
    r"|made\s+no\s+(?:visible\s+)?difference|to\s+no\s+(?:avail|effect)|without\s+(?:any\s+)?(?:effect|improvement)|did\s+(?:very\s+)?little\b|did\s+nothing\b"
    # A terse note's "rollback at 08:05, no change".
    r"|(?:[,;:]|->|—|–)\s*no\s+(?:change|effect|improvement|difference)\b)",
    re.I,
)
# What is done so it does not happen again ("To prevent this from happening again, we have
# removed ..."): a follow-up, not what restored service.
PREVENTION_LEAD = re.compile(
    r"^(?:to|so\s+as\s+to|in\s+order\s+to)\s+(?:help\s+)?(?:prevent|avoid|stop)\s+(?:this|it|that|a\s+(?:recurrence|repeat)|(?:any\s+)?(?:similar|such|future)\b)",
    re.I,
)
# A sentence that announces the explanation instead of giving it ("EXPLAIN revealed why.",
# "Here is why:"): the cause is in the sentences after it.
REASON_FOLLOWS = re.compile(
    r"\b(?:revealed|showed|shows|explains?|explained|here(?:'s|\s+is)|that\s+is|this\s+is)\s+why\s*[.:]?$"
    # "And here, finally, is the cause.", "Here's what actually caused it:" ("Here is what
    # happened." opens the story, not its explanation)
    r"|\bhere(?:'s|,?\s+(?:\w+,\s+)?is)\s+(?:the\s+(?:\w+\s+)?cause|what\s+(?:actually\s+|really\s+)?caused\s+it"
    # "Here is what was actually going on.": after the first theory, the real story.
    r"|what\s+was\s+(?:actually|really)\s+(?:going\s+on|happening))\s*[.:]?$"
    r"|" + CAUSE_FOUND + r"\s*[.:!]?$"
    # A work note's "2024-03-12 09:31 - Priya: Found it." before what she found.
    r"|(?:^|:\s*)found\s+it\s*[.!]?$"
    # A comment's "I think I have it." or "Got it:" before what was found.
    r"|^(?:(?:i|we)\s+think\s+)?(?:(?:i|we)(?:'ve|\s+have)?\s+(?:got|found)|(?:i|we)\s+have|got)\s+it\s*[.!:]?$"
    # "He logged in to the email service and found the reason straight away."
    r"|\bfound\s+(?:the|our)\s+(?:real\s+|actual\s+|root\s+)?(?:reason|cause|culprit)(?:\s+(?:straight|right)\s+away|\s+immediately|\s+quickly|\s+at\s+once)?\s*[.:!]?$"
    # A comment that opens the analysis: "Root cause write-up.", "RCA below:".
    r"|^(?:root\s+cause|rca)\s+(?:write-?up|analysis|summary|notes?|details|below|follows)\s*[.:!]?$"
    # The first guess set aside before the cause: "It wasn't the database's fault.", "It was not a
    # capacity problem."
    r"|^(?:but\s+)?(?:it|this|that)\s+(?:wasn'?t|was\s+not|was\s+never)\s+(?:(?:the|a|an)\s+)?(?:[\w-]+\s+){0,2}?"
    r"(?:[\w-]+'s\s+fault|fault|problem|issue|culprit)\s*[.!]?$",
    re.I,
)
# "11:48 The storage log shows the controller's battery failed. That's the cause.": the
# sentence before it tells the cause.
CAUSE_BEHIND = re.compile(
    r"^(?:that|this|which)(?:\s+(?!is\b|was\b)[\w-]+){0,2}?(?:'s|\s+is|\s+was)\s+(?:the|our)\s+(?:root\s+|real\s+|actual\s+|whole\s+)?cause(?:\s+of\s+[^.!?;]{1,80})?\s*(?:[.!]|;[^.!?]{0,200}[.!]?)?$", re.I
)
# "14:05 — Cause found. pg_stat_activity shows ...": the announcement with the cause run on after
# it, where no capital starts a sentence of its own.
CAUSE_FOUND_LEAD = re.compile(r"^(?:[\d:.]+\s*[-–—]+\s*)?" + CAUSE_FOUND + r"\s*[.!]\s+(\S.*)$", re.I | re.S)
# "The trigger was outside Oriel.", "The trigger was on our own network.": where the cause lay,
# told before what it was; the sentences after it say that.
CAUSE_WHERE = re.compile(
    r"^(?:so\s+)?the\s+(?:trigger|root|source|origin|(?:actual|real|true)\s+cause|cause)\s+(?:was|lay|is)\s+"
    r"(?:\w+\s+)?(?:on|in|outside|inside|within|upstream|downstream|elsewhere|ours|theirs|not\s+ours)\b",
    re.I,
)
WHERE_WORDS = 8
# A remedy said to be out already ("This is already released for all SDKs now").
ALREADY_OUT = r"(?:is|are|was|were|has\s+been|have\s+been)\s+(?:now\s+)?already\s+(?:been\s+)?(?:released|shipped|deployed|rolled\s+out|live|in\s+place)"
EFFECT_OF_PREVIOUS = re.compile(
    r"^(?:this|that|it|which|these|those)\s+(?:\w+\s+){0,3}?(?:caused|meant|led\s+to|resulted\s+in|triggered)\b"
    # A fragment that goes on from the sentence before: "Potentially causing all pods on it to ..."
    r"|^(?:\w+ly\s+)?(?:causing|leading\s+to|resulting\s+in)\b"
    # "This is already released for all SDKs now.": the remedy is the sentence before.
    r"|^(?:this|that|it|these|those)\s+(?:\w+\s+)?" + ALREADY_OUT
    # "Because of an internal fault, it failed open instead.": the sentence before says what "it" is.
    + r"|^(?:because\s+of|due\s+to)\s+[^,.]{3,80},\s+(?:it|they|this|that)\s",
    re.I,
)
# "It did not affect 2020 because the service did not exist yet": why it never happened before,
# not what made it happen now.
WHY_NOT_BEFORE = re.compile(
    r"\b(?:did\s*not|didn'?t)\s+(?:\w+\s+)?(?:affect(?:ed)?|happen(?:ed)?|occur(?:red)?|show(?:n)?(?:\s+up)?|surface(?:d)?|appear(?:ed)?|hit|trigger(?:ed)?)\b[^.;]{0,80}?\bbecause\b",
    re.I,
)
# "This is partly because ...": the reason given for the sentence before, a detection story
# when that sentence tells how (or how late) the incident was noticed.
WHY_IT_WENT_UNNOTICED = re.compile(r"^(?:this|that|it)\s+(?:is|was)\s+(?:\w+\s+)?(?:because|due\s+to)\b", re.I)
# A write-up that says nothing needed doing ("this was a noop from our perspective") has no fix,
# whatever else its sentences say was renewed or restarted on its own.
NOTHING_DONE = re.compile(
    r"\b(?:(?:this|it|that)\s+(?:was|is)\s+a\s+no-?op|no\s+(?:action|intervention|fix)\s+(?:was\s+)?(?:needed|required|necessary|taken)"
    # "Clients recovered with no action needed on their side", "No action was needed on user
    # devices": nothing for someone else to do, not for us.
    r"(?!\s+(?:on|by|from|for)\s+(?!(?:our|my)\s+(?:side|part|end)\b|us\b))"
    r"|nothing\s+(?:needed|had)\s+to\s+be\s+(?:done|fixed)|nothing\s+was\s+(?:changed|done)|no\s+changes?\s+(?:was|were)\s+made\s+(?:by|to\s+(?:resolve|fix))\b)\b",
    re.I,
)
STRONG_CAUSE = re.compile(
    r"\b(?:caused\s+by|root[\s-]*cause|due\s+to|triggered\s+by|underlying|" + CAUSE_NAMED
    # "matched those stack traces to a known deadlock in the lock handling of ..."
    + r"|(?:a|an)\s+known\s+" + DEFECT + r"\s+in)\b",
    re.I,
)
# "began rolling the fleet in three regions back to the previous build": a rollback told with
# its object between the words, in the fix cues and the strong ones alike.
ROLLED_BACK_TO = r"roll(?:ed|ing)\s+(?:[\w-]+\s+){1,8}?back\s+to\s+(?:the\s+|a\s+|its\s+)?(?:previous|prior|last|earlier|older|old|known|stable|v?\d)"
REMEDY_TOLD = (
    r"(?:remediation|recovery)\s+(?:involved|included|consisted\s+of|required)"
    r"|restoring\s+(?:[\w-]+\s+){0,3}?(?:required|involved)|to\s+mitigate\s+(?:the\s+)?(?:immediate\s+)?(?:impact|issue|problem|outage)"
    # "To restore service we switched the read path to the primary".
    r"|to\s+(?:restore|recover)\s+(?:the\s+|normal\s+)?(?:service|access|operations)\s*,?\s+we\b"
)
# What responders did to get service back, told as such: "Grew the volume to 2.5 TiB as an
# immediate workaround".
AS_A_WORKAROUND = r"as\s+(?:an?\s+)?(?:immediate\s+|temporary\s+|interim\s+)?workaround"
# A fix's own commit or pull request telling what it does: "This commit pins platform-rpc to v2.9.4".
THIS_CHANGE_DOES = r"this\s+(?:commit|patch|pr|mr|pull\s+request|merge\s+request)\s+(?!is\b|was\b|has\b|does\b)[a-z]{3,}s"
FIX_CUES = re.compile(
    r"\b(?:rolled\s+back|roll(?:ing)?\s+back|revert\s+(?:the|our|that|this)|the\s+revert"
    # A terse timeline's noun: "12:51 Revert applied.", "Revert PR #4479 merged".
    r"|revert\s+(?:PR\b|pull\s+request|commit|applied|merged|deployed|landed|completed?|done)"
    # What held the database up, stopped: "Query cancelled with pg_cancel_backend", "we killed the
    # migration", "the DBA stopped the rebuild at 09:46", "our engineer ended the analyst's query".
    r"|(?:cancell?ed|killed|terminated|ended)\s+(?:the\s+)?(?:[\w'’-]+\s+)?(?:query|queries|backend|migration|transaction)s?\b"
    r"|(?:cancell?ed|killed|terminated|stopped|aborted|paused)\s+(?:the|our|their|its|that|this)\s+(?:[\w-]+\s+)?(?:rebuild|reindex|job|batch|extract|export|import|script|backup|sync|process)(?:es|s)?\b"
    r"|(?:query|queries|backend|migration|transaction)s?\s+(?:was\s+|were\s+)?(?:cancell?ed|killed|terminated)\b|" + ROLLED_BACK_TO + r"|rollback|reverted|reverting|resolved\s+(?:by|it|this|the)|fixed\s+(?:by|it|this|the)"
    r"|was\s+fixed|were\s+fixed|restored|mitigated|restart(?:ed|ing)|redeploy(?:ed|ing)?|recovered|failed\s+over|fail(?:ed|ing)?\s+over"
    r"|scaled\s+(?:up|out|down)|(?:did|performed|ran|triggered|started|issued)\s+a\s+(?:rolling\s+)?restart|rolling\s+restart|deployed\s+a\s+fix|applied\s+a\s+fix|the\s+fix|to\s+fix|a\s+fix|hotfix|patched|renewed|re-?enabled"
    r"|re-[a-z]+ed|re-?ran|re-?running|re-?run\s+(?:in|for|against|with|from)\b|(?:balances?|records?|figures|amounts|postings?)\s+(?:(?:was|were|have\s+been|has\s+been)\s+)?corrected|disabled|removed|replac(?:ed|ing)|rotat(?:e|ed|ing)|increased(?!\s+(?:(?:API|HTTP|request|5xx)\s+)?(?:error|latenc|failure))|recreated|re-?created|cordoned|drained|cleared|purged|flushed"
    # The remedy's noun, not a screen's or a name's ("low-resolution devices", "DNS resolution").
    r"|(?<!-)(?<!dns\s)(?<!name\s)(?<!screen\s)(?<!high\s)(?<!low\s)(?<!image\s)(?<!display\s)resolution"
    r"|back\s+to\s+(?:normal|baseline)|returned\s+to\s+(?:baseline|normal)|(?:dropped|fell|went|came)\s+(?:back\s+)?(?:down\s+)?to\s+(?:normal|baseline)"
    r"|rollout\s+restart|(?:we|they|engineers?|the\s+team)\s+(?:then\s+)?shut\s+(?:down|off)\b|reload(?:ed|ing)|issued\s+a\s+new\s+(?:certificate|cert|key|token|credential)"
    r"|brought\s+(?:[\w-]+\s+){0,4}?back\s+(?:by|online|up)\b|brought\s+(?:[\w-]+\s+){1,3}?back\s+(?:straight\s+away|immediately|within|in\s+(?:a\s+few|\d+|under))|(?:deployed|pushed|applied)\s+(?:the\s+|a\s+)?(?:[\w-]+\s+){0,2}(?:replacement|corrected|patched)|service\s+(?:was\s+)?(?:fully\s+)?restored|solv(?:ed|e|es|ing)"
    # Not the adjective: "fixed-focus scanners", "renders at a fixed integer module size".
    r"|fix(?:ed|ing)?(?!-)(?!\s+(?:size|sized|pool|number|rate|interval|schedule|price|amount|integer|width|length|point|set|timeout|delay)\b)"
    # A timeline told in the present tense: "07:31 We drop the slot.", "We restart the workers.",
    # "09:31 Prometheus restarts and replays the WAL."
    r"|restarts\s+(?:and|the|its|with|cleanly|successfully|normally)\b|recovers\b"
    # "We had it back at 19:53 by turning on the CDN's challenge".
    r"|by\s+(?:turning|switching)\s+(?:on|off)\b|by\s+(?:enabling|disabling)\b"
    r"|\bwe\s+(?:then\s+|now\s+)?(?:drop|restart|revert|roll\s+back|remove|delete|purge|kill|fail\s+over|scale|rotate|redeploy|reboot|re-?run|disable|promote|re-?enable|flush)\s+(?:the|all|every|it|them|a|an)\b"
    r"|dropped\s+(?:the\s+)?(?:[\w-]+\s+){0,2}(?:slot|index|partition|connections?|locks?)\b"
    # A setting put right: "Set booking_horizon_days = 28 in the tfvars", "set the pool size to 50".
    r"|\bset\s+(?:the\s+)?[\w.-]+(?:\s+[\w.-]+)?\s*(?:=|to)\s*[\w.-]+"
    # "Service came back after the team turned on the waiting room": the fix, told by its effect.
    r"|(?:came|got)\s+back\s+(?:online\s+|up\s+)?(?:after|once|when)\b"
    # Load put on what stands by: "moved the rack onto the standby PDU", "switched to the backup link".
    r"|(?:moved|switched|shifted|transferred|cut\s+over)\s+(?:[\w'-]+\s+){0,5}?(?:on)?to\s+(?:the\s+|a\s+|its\s+|our\s+)?(?:standby|backup|secondary|spare|redundant)\b"
    r"|rebuilt|restoring\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?(?:service|availability|access)|expanded|(?:added|adding|reclaimed|freed|released)\s+(?:\w+\s+){0,2}capacity|(?:moved|brought|put|placed)\s+(?:[\w-]+\s+){0,6}?(?:back\s+)?into\s+service"
    # The symptom ending on what the responders did: "failures stopped once the new hardware ...".
    r"|(?:stopped|ceased|subsided|cleared|ended)\s+(?:[\w:,-]+\s+){0,8}?(?:once|after|when)\s+(?:the|we|our|new|a)\b|(?:set|sets|setting|turned|turning|dialled|dialed|dialling)\s+(?:`?[\w.-]+`?\s+){0,3}?(?:back\s+|down\s+)?to\s+0\b|(?:flag|feature|toggle)\s+(?:was\s+)?(?:turned|switched)\s+off|downgrad(?:ed|ing)|upgraded|rebooted|reboot(?:ing)?|terminated|deleted|implemented|(?<!auto-)(?<!self-)resolv(?:ed|ing)"
    # A retelling names the remedy with a noun or a purpose ("Remediation involved engineers
    # promoting ...", "To mitigate the impact, they shut ..."), or by what security responders do.
    r"|" + REMEDY_TOLD + r"|mitigation\s+(?:involved|included|was)|revok(?:ed|ing)|unpublish(?:ed|ing)|worked\s+around"
    # A volume or a pool made bigger, by what it was made: "Grew vol_docgen_out to 2.5 TiB as a workaround".
    r"|" + AS_A_WORKAROUND + r"|(?:grew|grown|extended|resized|enlarged)\s+(?:[\w/.:-]+\s+){0,4}?(?:to|by)\s+\d"
    r"|promot(?:ed|ing)\s+(?:a|the)\s+(?:[\w-]+\s+){0,2}(?:replica|secondary|standby|follower)"
    # "the provider agreed to raise our limit to 300 msg/s"
    r"|(?:raised|lifted|bumped|agreed\s+to\s+(?:raise|lift|increase))\s+(?:the\s+)?(?:[\w-]+\s+){0,3}?(?:limits?|quotas?|ceilings?|caps?)|doubled|tripled|capped"
    r"|(?:limits?|quotas?|ceilings?)\s+(?:was\s+|were\s+)?(?:raised|lifted|bumped)|scaled\s+(?:[\w-]+\s+)?to"
    # A datastore put right: "stepped down the new primary", "built the missing index".
    r"|stepped\s+down\s+(?:the\s+)?(?:[\w-]+\s+)?(?:primary|leader|master)|(?:built|rebuilt|re-built|created|added)\s+(?:the\s+)?(?:missing\s+)?index(?:es)?"
    # Put right by hand: "found the incorrect prefix and corrected it", "reset both tunnels"
    # (not "the server had reset the connection": the symptom).
    r"|corrected\s+(?:it|them|this|that|the|its|their|our)\b|reset\s+(?:both|all|each|every)\b"
    # Machines replaced: "Rolled over sick node", "rolling over the two worker nodes".
    r"|roll(?:ed|ing)\s+over\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?(?:nodes?|hosts?|instances?|servers?|vms?|machines?)\b"
    # A remedy announced, then said to be out: "all SDKs will stop retrying ... This is already released."
    r"|" + ALREADY_OUT + r"|" + THIS_CHANGE_DOES + r")\b",
    re.I,
)
STRONG_FIX = re.compile(
    r"\b(?:rolled\s+back|" + AS_A_WORKAROUND + r"|" + ROLLED_BACK_TO + r"|" + REMEDY_TOLD + r"|" + THIS_CHANGE_DOES + r"|reverted|resolved\s+by|fixed\s+by|the\s+fix|restored\s+(?:(?:the\s+)?service\s+)?by|mitigated\s+by|fix\s+was|by\s+(?:rolling|reverting|restarting|removing|increasing|scaling|replacing|deleting|adding|rotating|renewing|failing|turning|switching|enabling|disabling))\b",
    re.I,
)

PLACEHOLDER = re.compile(
    r"<[^>\n]{0,80}>|\{\{[^}\n]{0,200}\}\}|\[(?:fill\s+in|todo|tbd|describe|add|insert|enter|write|summari[sz]e|explain|list)\b[^\]\n]{0,200}\]|\b(?:TBD|TODO|N/?A|to\s+be\s+(?:determined|confirmed))\b"
    r"|\b(?:unknown|under\s+investigation|still\s+investigating|not\s+yet\s+(?:known|identified|determined))\b|_{3,}|\.{3,}",
    re.I,
)
# "We have not been able to determine a root cause", "unable to identify the cause": in a
# status update or in the cause slot itself.
# "... was not identified until 14:20": found later in the story, not unknown.
LATER_FOUND = r"(?!\s+(?:until|for|before|at\s+first|initially|immediately|quickly|right\s+away))"
COULD_NOT_FIND_CAUSE = (
    r"(?:(?:have|has|were|was|could|did)\s*(?:not|n't)\s+(?:yet\s+)?(?:been\s+able\s+to\s+)?|unable\s+to\s+)"
    r"(?:determine|identify|find|establish|pin\s+down|agree\s+on)\s+(?:a|the|any|one)\s+(?:single\s+)?(?:root\s+)?cause"
    # "has not yet identified what caused the errors", as a retelling puts it.
    r"|(?:have|has)\s*(?:not|n't)\s+(?:yet\s+)?(?:identified|determined|found|established)\s+(?:what|why|whether|the\s+(?:root\s+)?cause)"
)
SELF_RESOLVED = re.compile(
    r"\b(?:problem|issue|outage|incident|it)\s+(?:then\s+|just\s+)?(?:resolved|fixed|cleared|sorted)\s+itself"
    r"|went\s+away\s+(?:on\s+its\s+own|by\s+itself)|self[\s-]resolved\b",
    re.I,
)
UNKNOWN_CAUSE = re.compile(
    r"\b(?:root\s+cause\s+(?:is|remains)\s+(?:still\s+)?(?:unknown|unclear|under\s+investigation|not\s+(?:yet\s+)?(?:known|identified))"
    r"|(?:still|currently)\s+(?:being\s+|under\s+)?investigat\w+|cause\s+(?:is|remains)\s+(?:unknown|unclear)|no\s+root\s+cause\s+(?:has\s+been|was)\s+(?:found|identified)"
    # A status update or preliminary review: the cause is promised, not told.
    r"|(?:continu(?:e|es|ing)\s+to\s+investigate|(?:are|is)\s+(?:still\s+)?investigating)\s+(?:the\s+)?(?:underlying\s+|root\s+)?cause|investigation\s+(?:into\s+[\w\s]{0,40}?)?(?:is\s+)?(?:still\s+)?(?:ongoing|in\s+progress)"
    r"|(?:full|final|complete)\s+(?:root\s+cause\s+analysis|rca|post[\s-]incident\s+review|pir|post[\s-]?mortem)\s+will\s+(?:be\s+published|follow)"
    # An interim report: "Root cause: To be described in the final report."
    r"|(?:to|will)\s+be\s+(?:described|reported|explained|given|set\s+out|detailed)\s+in\s+the\s+final\s+report"
    r"|once\s+(?:our|the)\s+investigation\s+(?:is\s+(?:complete|finished|done|over)|(?:concludes|finishes))|" + COULD_NOT_FIND_CAUSE + r"|(?:trying|working)\s+to\s+(?:identify|determine|find|understand)\s+the\s+(?:root\s+)?cause"
    # The cause is someone else's to confirm: "awaiting their confirmation", "this review will be
    # updated with the confirmed root cause".
    r"|updated\s+with\s+the\s+(?:confirmed|final|actual)\s+(?:root\s+)?cause|awaiting\s+(?:their|the\s+(?:vendor|provider|supplier)'?s?|vendor|provider|supplier)(?:'?s)?\s+(?:confirmation|analysis|rca|rfo|report)"
    # "The root cause of this incident has not yet been determined." (a preliminary review); not
    # the story's "the cause was not identified until 14:00".
    r"|(?:root\s+)?cause\s+(?:of\s+(?:this|the)\s+\w+\s+)?(?:is\s+|was\s+|remains\s+|has\s+)?(?:still\s+)?"
    r"(?:unconfirmed|to\s+be\s+confirmed|not\s+(?:yet\s+)?(?:been\s+)?(?:confirmed|established|determined|identified)|yet\s+to\s+be\s+(?:confirmed|established|determined|identified))"
    + LATER_FOUND +
    # Hypotheses offered with a warning: "please treat the cause as unknown", "until one of these is confirmed".
    r"|treat\s+the\s+(?:root\s+)?cause\s+as\s+(?:unknown|unconfirmed|not\s+(?:yet\s+)?known)"
    # A handover summary: "No root cause, no fix.", "nothing is concluded", "Suspects, none confirmed".
    r"|\bno\s+root\s+cause(?=\s*(?:[,.;]|yet\b|so\s+far\b))|\bnothing\s+(?:is|has\s+been)\s+(?:yet\s+)?concluded\b|\bsuspects?\W+none\s+confirmed\b"
    r"|until\s+(?:one\s+of\s+)?(?:these|them|this|it|either)\s+(?:is|are|has\s+been|have\s+been)\s+confirmed"
    # The cause told, then disowned: "We have not yet been able to confirm the above", "We'll
    # rewrite this section once one of these is confirmed".
    r"|(?:have|has)\s*(?:not|n't)\s+(?:yet\s+)?been\s+able\s+to\s+(?:confirm|verify|reproduce|prove)\s+(?:the\s+above|this\s+(?:theory|hypothesis|explanation)|(?:the|this|that)\s+(?:root\s+)?cause)"
    r"|(?:re-?write|update|revise|finish)\s+this\s+section\s+(?:once|when|after)\b"
    r"|(?:we|i)\s+(?:do\s+not|don'?t)\s+(?:yet\s+)?know\s+(?:yet\s+)?(?:the\s+|what(?:'s|\s+is)?\s+)?(?:root\s+)?caus\w*"
    # A rollback notice's status: "ROLLED BACK / CAUSE UNDER INVESTIGATION", "We do not yet know why."
    r"|\bcause\s+(?:still\s+)?under\s+investigation\b|(?:we|i)\s+(?:do\s+not|don'?t)\s+yet\s+know\s+why\b|(?:we|i)\s+(?:do\s+not|don'?t)\s+know\s+why\s+yet\b"
    # Theories, none settled: "we do not yet have a single explanation", "none of these has been confirmed".
    r"|(?:do|does)\s*(?:not|n't)\s+(?:yet\s+)?have\s+(?:a|an|any)\s+(?:single\s+|clear\s+)?explanation|none\s+of\s+(?:these|them|the\s+(?:theories|hypotheses))\s+(?:has|have)\s+been\s+confirmed"
    # Notes kept until someone writes the review: "Write-up to follow", "This review is not yet complete".
    r"|write[\s-]?up\s+to\s+follow|needs?\s+(?:to\s+be\s+)?writ(?:ing|ten)\s+up|(?:review|report|post[\s-]?mortem|write[\s-]?up)\s+is\s+not\s+(?:yet\s+)?(?:complete|finished)"
    r"|(?:update|updated|complete|completed)\s+(?:this\s+(?:document|page|review|report|write[\s-]?up)\s+)?(?:when|once)\s+the\s+investigation\s+(?:concludes|is\s+(?:complete|finished|done)))\b",
    re.I,
)
# The fix is still to come, whatever the cause: "No fix has been deployed yet", "no option has
# been chosen" (of the ways to recover).
NO_FIX_YET = re.compile(
    r"\bno\s+(?:permanent\s+)?fix\s+has\s+(?:yet\s+)?been\s+(?:deployed|applied|identified|found|made|put\s+in\s+place)"
    # A shift handover's "Nothing changed tonight. NO fix applied." ("no fix was applied" may go
    # on to say why none was needed).
    r"|\bno\s+(?:permanent\s+)?fix\s+(?:applied|deployed)(?:\s+yet)?\s*(?:[.;,]|$)"
    # "There is no fix in place.", "No permanent fix is in place yet.", "a mitigation, not a fix".
    r"|\bthere(?:\s+is|['’]s)\s+(?:still\s+)?no\s+(?:permanent\s+|real\s+|lasting\s+)?fix\b|\bno\s+(?:permanent\s+|real\s+)?fix\s+(?:is\s+)?(?:yet\s+)?in\s+place\b"
    r"|\b(?:a\s+)?(?:mitigation|workaround|stop-?gap),?\s+not\s+a\s+(?:real\s+|permanent\s+)?fix\b"
    # An ITIL review's "A permanent fix has not been identified; workaround in place."
    r"|\b(?:a|the)\s+permanent\s+fix\s+has\s*(?:not|n't)\s+(?:yet\s+)?(?:been\s+)?(?:identified|found|agreed|decided|chosen|shipped|deployed|released|implemented|applied)"
    r"|\b(?:do\s*not|don'?t)\s+(?:yet\s+)?have\s+a\s+(?:permanent\s+|real\s+)?fix\s+yet\b"
    r"|\bno\s+option\s+has\s+(?:yet\s+)?been\s+(?:chosen|agreed|decided)\b"
    # "The options have been costed but a decision is still to be taken by the leadership team."
    r"|\b(?:a|the)\s+decision\s+(?:is|has)\s+(?:still\s+|yet\s+)?(?:to\s+be|yet\s+to\s+be|not\s+(?:yet\s+)?been)\s+(?:taken|made)\b"
    # An interim review: "we have not yet decided on a permanent fix", "We expect to choose an
    # approach by 10 September".
    r"|\b(?:have|has)\s*(?:not|n't)\s+(?:yet\s+)?decided\s+(?:on\s+)?(?:a|the|how|which)\b"
    r"|\bexpect\s+to\s+(?:choose|decide\s+on|pick|select|settle\s+on)\s+(?:an?|the|one)\s+(?:approach|option|fix|solution|remedy)\b"
    # A handover email: "What we haven't done: an actual fix.", "Not closing the incident - the
    # problem is still there." (Not a follow-up's "no decision yet" on a further change.)
    r"|\b(?:have|has)\s*(?:not|n't)\s+(?:yet\s+)?done\s*(?::\s*)?(?:an?\s+)?(?:actual|real|permanent|proper)\s+fix\b"
    r"|\bnot\s+closing\s+(?:the|this)\s+(?:incident|ticket|problem)\b"
    # What was done so far, disowned: "None of this is a fix."
    r"|\bnone\s+of\s+(?:this|these|that)\s+(?:is|are)\s+(?:a\s+)?(?:real\s+|permanent\s+)?fix(?:es)?\b"
    # "At the time of writing, exports are still failing at a 60% rate", "Numbers for that window
    # are still wrong as of this writing."
    r"|\b(?:at\s+the\s+time\s+of|as\s+of)\s+(?:this\s+)?writing\b[^.\n]{0,120}?\bstill\b|\bstill\b[^.\n]{0,120}?\b(?:at\s+the\s+time\s+of|as\s+of)\s+(?:this\s+)?writing\b"
    # A preliminary review: "We do not yet have an estimated time for full mitigation", "Impact
    # ongoing for a subset of customers" on its status line, "Incident still open."
    r"|\b(?:do|does)\s*(?:not|n't)\s+(?:yet\s+)?have\s+an?\s+(?:eta|estimated\s+time|estimate|time\s*frame)\s+for\s+(?:full\s+|complete\s+)?(?:mitigation|recovery|resolution|restoration|a\s+fix)\b"
    r"|(?:^|·)[ \t]*(?:customer\s+)?impact\s+(?:is\s+)?(?:still\s+)?ongoing\b|\bincident\s+(?:is\s+)?(?:still|remains)\s+open\b"
    # Two things were done and nobody can say which one fixed it.
    r"|\b(?:do\s*not|don'?t|cannot|can'?t)\s+(?:yet\s+)?(?:know|say|tell)\s+which\b[^.\n]{0,80}?\b(?:fix|fixed|resolved\s+it)\b"
    # The whole sentence: "No change has been made." (not "no change has been made to the alert yet").
    r"|(?:^|(?<=[.!?:]\s))no\s+(?:change|fix)\s+has\s+(?:yet\s+)?been\s+(?:made|applied|deployed)(?:\s+yet)?\s*[.;]"
    # Nothing done brought it back: "We don't know why it recovered".
    r"|\b(?:do\s*not|don'?t|did\s*not|didn'?t)\s+(?:yet\s+)?(?:know|understand)\s+why\s+(?:it|the\s+[\w-]+|they|things|service)\s+(?:recovered|came\s+back|stopped\s+\w+ing|cleared|went\s+away)\b"
    # A thread's latest word: "Still waiting on Legal. Nothing deployed yet, queue still growing."
    r"|\bnothing\s+(?:has\s+been\s+|is\s+)?(?:deployed|fixed|shipped|rolled\s+out|released|in\s+place)\s+yet\b",
    re.I | re.M,
)
# The fix is still being chosen, wherever the write-up says so (a "Corrective actions" section
# included): "Options under discussion:", "To be decided.", "Fix: not decided yet". On the read
# write-ups only drafts say this.
FIX_UNDECIDED = re.compile(
    r"\boptions\s+(?:are\s+|were\s+)?(?:still\s+)?(?:under|being)\s+(?:discussion|discussed|considered|weighed|evaluated)\b"
    r"|\b(?:not\s+(?:yet\s+)?decided\s+yet|to\s+be\s+decided)\b|^[^\w\n]*not\s+(?:yet\s+)?decided\b",
    re.I | re.M,
)
# A status page's update: "Identified - 27 Feb 2024 19:42 UTC", "**Monitoring** — We ...".
STATUS_UPDATE = re.compile(
    r"^[ \t*_#>-]*(investigating|identified|monitoring|update|resolved|completed|postmortem|post-incident\s+report)[*_]*[ \t]*[-–—:|]",
    re.I | re.M,
)
RESOLVED_STATES = frozenset({"resolved", "completed", "postmortem", "post-incident report"})
# A review reopened by a later update: the fix it told did not hold, or its cause was wrong.
REOPENED = re.compile(
    r"\b(?:the\s+)?fix\s+did\s*(?:not|n't)\s+hold\b"
    r"|\b(?:explanation|root\s+cause|analysis|diagnosis)\s+(?:above|we\s+(?:gave|published))\s+(?:is|was)\s+"
    r"(?:probably\s+|likely\s+|now\s+known\s+to\s+be\s+)?(?:wrong|incorrect|mistaken|incomplete)\b",
    re.I,
)
# Drafts: a write-up whose status says it is unfinished, or whose cause or fix field holds a
# placeholder for an answer nobody has yet ("TBD", "not yet identified", "none yet").
DRAFT_STATUS = re.compile(
    # Not a council report's access class: "Status: Open — for information and assurance".
    r"^\W*(?:draft|wip|work[\s-]+in[\s-]+progress|in[\s-]+progress|ongoing|open(?![ \t]*[-–—:,(]?[ \t]*(?:for\s+(?:information|decision|noting|assurance|approval)|report|item|session|public)\b)|investigating|under\s+investigation"
    r"|investigation\s+(?:ongoing|in\s+progress)|incomplete|unfinished|not\s+started|pending|to\s*do|tbd|preliminary|template|awaiting"
    r"|in\s+review|under\s+review|(?:for|needs)\s+review"
    # "Entwurf", "Brouillon", "Borrador", "Concept" (Dutch), "Bozza", "Rascunho".
    r"|entwurf|brouillon|borrador|concept|bozza|rascunho|in\s+bearbeitung"
    # A status page's lifecycle before "Resolved".
    r"|monitoring)\b",
    re.I,
)
DRAFT_VALUE = re.compile(
    r"\b(?:tbd|tbc|todo|to\s+be\s+(?:determined|confirmed|decided|identified|written|added|completed|investigated|described|reported|explained)"
    r"|not\s+(?:yet\s+)?(?:known|identified|determined|established|understood|confirmed|clear|found|recovered|resolved|fixed|mitigated|decided)"
    + LATER_FOUND
    # "Not yet completed. Awaiting supplier RCA." (a section's slot, not "the rollout had not completed").
    + r"|^\W*not\s+yet\s+(?:completed|done|written|finished|started|agreed|decided)|^\W*not\s+(?:done|fixed|finished|started|written|agreed|decided|chosen|settled)\s+yet\b"
    # The slot's whole answer: "**Not yet.** Options on the table: ...".
    + r"|^\W*not\s+yet\b(?!\s+\w)"
    + r"|(?:still|currently|remains?|is|are)\s+(?:unknown|unclear|under\s+investigation|being\s+investigated|investigating|open)"
    r"|cause\s+unknown|unknown\s+cause|under\s+investigation|still\s+investigating|investigation\s+(?:is\s+)?(?:ongoing|in\s+progress|continues|pending)"
    r"|pending\s+(?:[\w-]+\s+)?(?:rca|investigation|analysis|review|root\s+cause)|rca\s+pending|trying\s+to\s+identify"
    r"|" + COULD_NOT_FIND_CAUSE
    + r"|(?:we|i)\s+(?:do\s+not|don'?t)\s+(?:yet\s+)?know|no\s+(?:fix|resolution|root\s+cause|rca)\s+(?:yet|so\s+far)|none\s+(?:yet|so\s+far)"
    # A resolution slot's "None applied. Service recovered when the batch finished."
    r"|none\s+(?:applied|taken|implemented|deployed|agreed|in\s+place)"
    r"|options\s+(?:are\s+)?(?:under|being)\s+(?:discussion|discussed|considered|looked\s+at|weighed|evaluated)|options\s+on\s+the\s+table"
    r"|self[\s-]+resolved|resolved\s+(?:itself|on\s+its\s+own)|went\s+away\s+on\s+its\s+own"
    # Only candidates: "Leading hypothesis: ...", "The working theories are", "Theory 1: ...".
    r"|(?:leading|working|main|current)\s+(?:hypothes[ie]s|theor(?:y|ies))|theory\s+\d|hypothes[ie]s\s*\d"
    r"|(?:do|does)\s*(?:not|n't)\s+(?:yet\s+)?have\s+(?:a|an|any)\s+(?:single\s+|clear\s+)?(?:explanation|cause)"
    # The same in a European team's own language: "Noch unklar", "à confirmer", "por determinar", "nog onbekend".
    r"|noch\s+(?:unklar|offen|unbekannt|nicht\s+(?:bekannt|geklärt))|unbekannt|in\s+klärung|wird\s+(?:noch\s+)?untersucht"
    r"|à\s+(?:confirmer|déterminer|définir)|en\s+cours\s+d['’]analyse|inconnue?|por\s+(?:determinar|confirmar|definir)"
    r"|en\s+investigación|desconocid[ao]|nog\s+(?:onbekend|onduidelijk|niet\s+bekend|te\s+bepalen)|onbekend|wordt\s+(?:nog\s+)?onderzocht)\b"
    r"|^\W*(?:unknown|unclear|n/?a|none)\W*$",
    re.I,
)
# How an incident was noticed: a detection story, never a cause however causal its wording
# ("noticed because someone looked at a dashboard").
DETECTION_STORY = re.compile(
    r"\b(?:noticed|spotted|alerted|alerts?\s+(?:fired|triggered|went\s+off)|paged|pager|(?:was|were)\s+reported|reported\s+(?:by|that|in|to)"
    r"|looked\s+at|took\s+notice|dashboards?|pingdom|(?:first\s+)?detected|discovered\s+(?:by|when|that)|raised\s+(?:by|in|with)|saw\s+(?:a|an|the)"
    # "At 14:19 a creator emailed support to say ...": someone telling us, not what set it off.
    r"|(?:emailed|contacted|called|phoned|messaged|wrote\s+to|opened\s+a\s+ticket\s+with)\s+(?:our\s+|the\s+)?(?:support|help\s*desk|service\s+desk)"
    # "At 15:04 the first replies came into the newsletters inbox": people telling us.
    r"|(?:complaints?|replies|tickets|calls|emails|messages)\s+(?:(?:started|began)\s+(?:to\s+)?)?(?:came|coming|come|arrived|arriving|poured|pouring|flooded|flooding)\s+in(?:to)?)\b",
    re.I,
)

# Words in double quotes: a banner's, a message's or a person's, as the writer quotes them.
QUOTED_WORDS = re.compile(r'"[^"]{1,400}"|“[^”]{1,400}”')
HEDGED = re.compile(
    # "You may have seen errors" guesses at the reader, not at the cause; "removed the rule
    # because it appeared unused" tells why someone acted.
    r"\b(?:we\s+suspect|suspected|(?<!because\s)(?<!since\s)it\s+appear(?:s|ed)|possibly|(?<!you\s)(?:might|may)\s+have|not\s+sure|unclear"
    r"|trying\s+to\s+identify|we\s+(?:think|believe)|likely)\b",
    re.I,
)
# Key-event lines ("Resolved: 2025-01-14 16:53") carry fix words but say nothing about the fix.
KEY_EVENT = re.compile(
    r"^(?:first\s+detected|incident\s+declared|repaired|resolved|time\s+to\s+\w+)\b[\s:]*\d"
    # A ticket's dates on one line: "Created: 27/Nov/23 8:47 AM   Updated: ...   Resolved: ...".
    r"|^created\s*:\s*\d",
    re.I,
)
# "Context/Resolution/Review actions:" with nothing after it: a label whose value is elsewhere
# (a link, a list), which says nothing by itself.
BARE_LABEL = re.compile(r"^\W*(?:[\w/&'-]+\s+){0,3}[\w/&'-]+:$")


def says_nothing(sentence: str) -> bool:
    """A key event's time or a bare label (a line of a template), or a note on where the
    write-up tells something ("There is no separate fix section", "the steps are listed in the
    timeline"): never a cause or a fix. A sentence that only points at the timeline ("as the
    timeline below shows, the deploy ...") still tells its content."""
    return bool(KEY_EVENT.match(sentence) or BARE_LABEL.match(sentence) or ABOUT_THE_DOCUMENT.search(sentence))


ABOUT_THE_DOCUMENT = re.compile(
    r"\bno\s+(?:separate\s+|dedicated\s+)?(?:[\"'\u201c]?\w+[\"'\u201d]?\s+)?section\b"
    r"|\b(?:this|the\s+(?:following|next|previous))\s+section\s+(?:describes|covers|explains|lists|sets\s+out|summari[sz]es)\b"
    r"|\b(?:are|is)\s+(?:all\s+|mostly\s+)?(?:(?:told|described|listed)\s+)?in\s+the\s+timeline\b"
    # How the write-up is laid out: "Written mostly as a timeline because ...".
    r"|\b(?:written|told|kept|laid\s+out)\s+(?:mostly\s+|mainly\s+|largely\s+)?as\s+a\s+timeline\b"
    # "Short write-up, mostly timeline."
    r"|\b(?:write-?up|report|document|post-?mortem|notes)\s*,?\s+(?:mostly|mainly|largely)\s+(?:a\s+)?timeline\b"
    # Why or how it is being written: "sam here. writing this up because it was my fault",
    # "Writing it up as prose", "I'm writing this mostly so we have a record".
    r"|\bwriting\s+(?:this|it)\s+(?:up\s+|down\s+)?(?:now\s+)?(?:because|as|while|so|mostly|for)\b"
    # Where the writer put the rest: "so I've pasted the work notes below".
    r"|\b(?:pasted|copied|attached|reproduced|quoted)\s+(?:in\s+)?(?:the\s+|our\s+|my\s+|its\s+|their\s+)?(?:[\w-]+\s+){0,2}(?:below|above)\b"
    r"|\b(?:short|long|full)\s+version\s+(?:is\s+)?(?:at\s+the\s+(?:bottom|end|top)|below|above)\b",
    re.I,
)

DATE_RE = re.compile(r"\b(20\d\d|19\d\d)[-/.](0[1-9]|1[0-2])[-/.](0[1-9]|[12]\d|3[01])\b")
FILE_DATE = re.compile(r"(20\d\d|19\d\d)-(\d\d)-(\d\d)")
PM_YEAR = re.compile(r"^PM(20\d\d)-\d+", re.I)
# The characters of an icon: arrows and symbols, emoji, their variation selector and joiner.
ICON_CHARS = "\u2190-\u2bff\U0001f000-\U0001faff\ufe0f\u200d"
# A callout's icon may lead it ("💡 **Root cause**", as Notion's markdown export writes one).
BOLD_LABEL = re.compile(rf"^(\s*)(?:[-*+]\s+)?(?:[{ICON_CHARS}]+[ \t]*)?\*\*([^*\n]{{2,60}}?)\s*:?\*\*\s*:?\s*(.*)$")
# "**Status: In review**": label and value inside one bold run, and the line may go on ("**Fix:
# TBD.** We haven't agreed one yet.").
BOLD_PAIR = re.compile(r"^(\s*)(?:[-*+]\s+)?\*\*([A-Za-z][^*:\n]{1,40}):\s*([^*\n]+?)\*\*[ \t]*(.*)$")
# "Cause - packet loss on the carrier's path", as notes summed up for the record write it.
DASH_LABEL = re.compile(r"^(\s*)(?:[-*+]\s+)?([A-Za-z][A-Za-z ]{1,30}?)\s+[-–—]\s+(\S.*)$")
# "- item", "1. item", and a formal report's lettered "a) item".
LIST_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d+[.)]|[a-z]\))\s+(.*)$")
# "  2.1 Package Registry ...": a plain-text report numbers the items of its sections.
SUBSECTION_ITEM = re.compile(r"^(\s*)\d{1,2}\.\d{1,2}\.?\s+(\S.*)$")
# ("4.13.0 added ..." opens on a version, not a time.)
TIME_HEADING = re.compile(r"^(?:\d{4}-\d{2}-\d{2}[ T])?\d{1,2}[:.]\d{2}(?!\.\d)")
# A markdown heading line: its hashes, and its words (any line of a text: a field's own
# subsection headings).
MD_HEADING = re.compile(r"^[ \t]*(#{1,6})[ \t]+(.*)$", re.M)
# A table's rule cell, "---" or ":--:".
TABLE_RULE = re.compile(r":?-{2,}:?")

# Names of infrastructure pieces that post-mortems mention as affected. Build and deploy tools
# (terraform, helm) and the platform as a whole (kubernetes, eks, gke) are where things happen,
# not what was affected, so they are not listed.
KNOWN_COMPONENTS = (
    "coredns", "kube-dns", "kiam", "kube2iam", "ingress controller", "ingress-nginx", "nginx", "traefik",
    "envoy", "istio", "linkerd", "kafka", "zookeeper", "rabbitmq", "redis", "memcached", "postgres", "postgresql",
    "mysql", "mongodb", "cassandra", "elasticsearch", "opensearch", "kibana", "prometheus", "grafana", "alertmanager",
    "thanos", "loki", "fluentd", "fluent-bit", "logstash", "etcd", "cert-manager", "external-dns", "vault", "consul",
    "jenkins", "concourse", "argocd", "flux", "prow", "tide", "jupyterhub", "binderhub",
    "repo2docker", "cdn", "load balancer", "alb", "elb", "nlb", "api gateway", "dns", "s3", "rds", "ec2",
    "cloudfront", "cloudwatch", "cloudwatch logs", "route53", "sqs", "sns", "lambda", "dynamodb", "bigquery",
    "pubsub", "github actions", "docker registry", "container registry", "clickhouse", "celery", "sentry", "pagerduty",
    # Kubernetes components and add-ons.
    "kubelet", "kube-proxy", "kube-state-metrics", "kube-apiserver", "kubernetes api", "api server", "calico",
    "cilium", "vpc cni", "aws-node", "descheduler", "cluster autoscaler", "kyverno", "gatekeeper",
    "open policy agent", "metrics-server", "kubespawner", "container runtime", "containerd", "dockerd",
    # Hosted build and identity services teams name as what broke.
    "circleci", "travis ci", "dockerhub", "docker hub", "okta", "adfs", "active directory", "ldap",
)
# One pass for all of them; longer names first, so "cloudwatch logs" is found whole. A space or
# a hyphen between words is the same name ("kube state metrics", "ingress-controller").
KNOWN_NAME = re.compile(
    r"(?<![\w-])("
    + "|".join(r"[-\s]".join(map(re.escape, re.split(r"[-\s]", n))) for n in sorted(KNOWN_COMPONENTS, key=len, reverse=True))
    + r")(?![\w-])"
)
KNOWN_SPELLING = {re.sub(r"[-\s]", " ", n): n for n in KNOWN_COMPONENTS}
# Nodes named by role ("worker nodes", "EKS nodes"): what failed, in the words the writers use.
NODE_GROUP = re.compile(r"\b((?:worker|master|kubernetes|k8s|cluster|eks|gke|monitoring)\s+nodes?)\b", re.I)
# "the KIAM service", "Feature Flags service": a name the document itself calls a service.
# Linear: a name starts where a hyphenated word starts (not at each of its parts) and its
# words are taken whole (possessive), else `a-a-a-...` is rescanned from every part (25 s).
# Not a department: "Network Services", "Information Services" (capitalised plural), "the
# Service Desk".
NAMED_SERVICE = re.compile(
    r"(?<![\w-])((?:[A-Z][\w-]*+|[a-z][a-z0-9]*+-[\w-]++)(?:\s+[A-Z][\w-]*+){0,2})\s+(?:[Ss]ervice|services)\b(?!\s+[Dd]esk)"
)
# "the Hellman Kubernetes cluster", "k8s-prow-build cluster": a cluster the document names
# (words taken whole, as above).
NAMED_CLUSTER = re.compile(
    r"(?<![\w-])((?:[A-Z][\w-]*+|[a-z][a-z0-9]*+-[\w-]++)(?:\s+(?:Kubernetes|EKS|GKE|AKS|K8s))?\s+cluster)\b"
)
# "the matchmaker, which we call mm-core internally", "a proxy known as `edge-relay`": the
# writer introducing a component by its name (one hyphenated or code word).
INTRODUCED_NAME = re.compile(
    r"\b(?:which|that|what)\s+we\s+(?:call|refer\s+to\s+as)\s+`?([a-z][a-z0-9]*(?:[-_][a-z0-9]+)+)`?"
    r"|\b(?:known|referred\s+to)\s+(?:internally\s+)?as\s+`?([a-z][a-z0-9]*(?:[-_][a-z0-9]+)+)`?"
)
PLATFORM_WORDS = {"kubernetes", "eks", "gke", "aks", "k8s", "the", "our", "this", "a", "production", "prod", "staging"}
NOT_A_NAME = {"the", "a", "an", "all", "our", "their", "this", "that", "these", "some", "other", "many", "several",
              # A sentence's opening word: "No cluster was ...", "Each cluster has ...".
              "no", "each", "every", "any", "another", "either", "neither", "both", "its", "your", "those", "which",
              "most", "critical", "affected", "customer", "user", "users", "cloud", "web", "aws", "on", "in", "for",
              # A department, not what it runs: "the IT Service Desk", "ICT Services", "Northmoor IS".
              "it", "ict", "is",
              # What kind of service, not which ("DoseClock, the in-house service that ...").
              "in-house", "third-party", "customer-facing", "user-facing", "public-facing", "internet-facing",
              "long-running", "self-hosted", "on-prem", "on-premises", "built-in", "home-grown", "open-source",
              "mission-critical", "business-critical", "so-called",
              # What it is written in ("a small Python service we wrote").
              "python", "java", "go", "golang", "ruby", "rust", "node", "node.js", "php", "perl", "scala", "kotlin",
              "elixir", "javascript", "typescript", "django", "rails", "flask", "spring"}
# Machine-generated host names (EC2 internal names, IPs) identify one node, not a service.
HOST_NAME = re.compile(r"^(?:ip-\d+-\d+-\d+-\d+|\d+\.\d+\.\d+\.\d+)|\.(?:internal|local|compute)\b")
# `cart-api` in backticks, or a bare hyphenated name whose last part says it is a service
# (`ledger-db`, `payments-api-gateway`). A bare name is found as a whole hyphen chain and its
# suffix checked in Python: a pattern that backtracks over the chain to find the suffix is
# quadratic in its length (`a-a-a-...` once took a minute).
QUOTED_SERVICE = re.compile(r"`([a-z][a-z0-9]*(?:[-_.][a-z0-9]+)+)`", re.I)
# Words inside "denial-of-service" or "end-to-end-api": an English phrase, not a name.
PHRASE_WORDS = frozenset("of to the and or by on in for a".split())
# Words that make "x-service" say how something applies ("per-service limits"), not name one.
# ... and "in-app": how something is bought ("in-app purchase revenue").
NOT_A_SERVICE_PREFIX = frozenset("per cross multi inter intra non to direct each every all in".split())
HYPHEN_CHAIN = re.compile(r"\b[a-z][a-z0-9]*(?:-[a-z0-9]+)+", re.I)
SERVICE_SUFFIXES = frozenset(
    "api db service svc worker workers gateway proxy queue cache cluster server web app edge store scheduler"
    " controller exporter operator ingest pipeline frontend backend auth router runner engine".split()
)
# What a provider's review lists as affected: "Impacted services included A, B and C", "services
# built on them, including A and B", "the event that affected A and B in the X Region". Only
# names written as names (capitalised words) count, so a list of symptoms is no list of services.
SERVICE_LIST_CUE = re.compile(
    r"\b(?:(?:services|products|components|systems|features|offerings)\b[^.:\n]{0,80}?\b(?:including|included|includes|such\s+as)"
    r"|(?:impacted|affected)\s+(?:services|products|components|systems)\s*(?:included|include|were|are|:)"
    r"|(?:that|which)\s+(?:affected|impacted)"
    r")\s+(?:the\s+)?",
    re.I,
)
# One listed name: capitalised words (an acronym, a brand, "HTTP(S)"), with "for"/"of" inside
# ("Cache for Redis") but not at its ends.
LISTED_NAME = re.compile(r"[A-Z][\w/()&-]*+(?:\.\w+)*+(?:\s+(?:(?:for|of)\s+)?[A-Z][\w/()&-]*+(?:\.\w+)*+){0,5}")
LIST_SEPARATOR = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+)")
# "**Managed SQL:** 71% of new connections failed": an impact section told product by product.
PRODUCT_LABEL = re.compile(r"^[ \t]*(?:[-*+][ \t]+)?\*\*([A-Z][^*:\n]{1,60}?)\s*:?\*\*\s*:?", re.M)
# Words that open a capitalised phrase that is no product ("The", "Customers", a month).
NOT_A_PRODUCT = re.compile(
    r"^(?:the|a|an|all|some|most|many|several|our|their|customers?|users?|we|this|these|those|it|in|on|at|between|from"
    r"|january|february|march|april|may|june|july|august|september|october|november|december"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|region|us|eu|utc)\b",
    re.I,
)
# Bold labels of an impact section's facts, not products ("**Severity:**", "**Affected customers:**").
IMPACT_FACT = re.compile(
    r"\b(?:impact|severity|duration|status|customers?|users?|rates?|times?|issues?|incidents?|degradation|priority"
    r"|detected|resolved|started|ended|owner|authors?|dates?|regions?|total|scope|level|summary"
    # The kinds of impact a review counts ("**Outage:** 3h45m", "**Security:** ...", "**Cost:** ...").
    r"|outages?|downtime|security|privacy|costs?|financial|revenue|reputation(?:al)?|compliance|regulatory|legal|sla|data\s+loss)\b",
    re.I,
)
# A status line's list after a separator ("**Status:** Resolved · **Affected components:** API,
# Dashboard"): a whole line of it is a label block, this is the same label mid-line.
INLINE_AFFECTED = re.compile(
    r"(?:^|[·|•]\s*)\**(?:affected|impacted)\s+(?:components|services|systems|products)\s*:?\**\s*:?\s*([^·|•\n]+)", re.I | re.M
)


def listed_services(text: str) -> list[str]:
    """The names a review lists as affected after a SERVICE_LIST_CUE."""
    found = []
    for m in SERVICE_LIST_CUE.finditer(text or ""):
        at = m.end()
        while True:
            name = LISTED_NAME.match(text, at)
            if not name or NOT_A_PRODUCT.match(name.group(0)):
                break
            found.append(norm_service(name.group(0)))
            sep = LIST_SEPARATOR.match(text, name.end())
            if not sep:
                break
            at = sep.end()
    return found


def inline_affected(text: str) -> list[str]:
    """The names an INLINE_AFFECTED label lists."""
    names = []
    for m in INLINE_AFFECTED.finditer(text):
        names.extend(norm_service(n) for n in LIST_SEPARATOR.split(strip_markdown(m.group(1)).strip(" .")) if n.strip())
    return names


def product_labels(impact: str) -> list[str]:
    """An impact section told product by product (PRODUCT_LABEL): two labels at least, else a
    bold label is as likely a field ("**Duration:**")."""
    names = [m.group(1) for m in PRODUCT_LABEL.finditer(impact or "")]
    names = [
        n for n in names
        if not NOT_A_PRODUCT.match(n) and not IMPACT_FACT.search(n) and not any(p.match(n) for p in FIELD_LABELS.values())
    ]
    return [norm_service(n) for n in names] if len(names) >= 2 else []


# What a writer adds after a listed name in brackets: its state or scope, not its name.
TRAILING_ASIDE = re.compile(r"(?<!\s)\s*\([^()]*\)\s*$")
# What follows a listed name: the rest of its line or the next line, its description after a dash
# or colon or after its aside ("Fares engine API (internal), called by the above"), an aside in
# brackets left open by the cut.
ITEM_GLOSS = re.compile(r"(?<!\s)\s*\n.*|(?<!\s)\s+[—–-](?:\s.*|$)|:\s.*|(?<=\)),\s.*", re.S)
# "Not affected: Git operations, the web application, ...", "GitLab projects were not affected.":
# what the writer rules out, in an affected-services section's text. Searched sentence by
# sentence: a pattern that scans back to a sentence's start is quadratic in a long one.
# "Not impacted: B-feed power, cooling", "IPv6 traffic unaffected (native dual stack)" too.
NOT_AFFECTED = re.compile(
    r"^\s*(?:\|\s*)?\**(?:not\s+(?:affected|impacted)|unaffected|unimpacted)\**\s*[:|]|\b(?:were|was)\s+(?:not|un)\s*(?:affected|impacted)\b"
    r"|(?<![\w\s-])\s*[\w-]+(?:[ \t]+[\w-]+){0,5}[ \t]+(?:unaffected|unimpacted|not[ \t]+(?:affected|impacted))\b(?!\s+until\b)",
    re.I,
)
# Sentences (a closing quote after the full stop too), clauses after a ';', and the clause a ", but"
# or ", because" opens: "DNS was not affected, but the dashboard and API were".
CLAUSE_SPLIT = re.compile(r"(?<=[.!?;])\s+|(?<=[.!?][\"'”’])\s+|,\s+(?=(?:but|because|while|whereas|although|though)\b)|\n\s*\n")


def unaffected_parts(text: str) -> tuple[str, str]:
    """(what the text tells, what it rules out): its sentences (or clauses) that rule a service
    out, and the others."""
    told, ruled_out = [], []
    for part in CLAUSE_SPLIT.split(text):
        (ruled_out if NOT_AFFECTED.search(part) else told).append(part)
    return " ".join(told), " ".join(ruled_out)


def without_unaffected(text: str) -> str:
    """The text without its sentences (or clauses after a ';') that rule a service out."""
    return unaffected_parts(text)[0]


def lines_without_unaffected(text: str) -> str:
    """without_unaffected line by line, so that lists and table rows stay lines: an impact
    section's "| Not affected | Route planning, Driver App |" row or "Driver App and the
    tracking pages were not affected." names no service."""
    return "\n".join(without_unaffected(line) if NOT_AFFECTED.search(line) else line for line in (text or "").split("\n"))


# A services table's header cell ("| Service | Impact |", "System"): the column's name, no service.
SINGLE_WORD_LIST = re.compile(r"[\w./-]+(?:(?:,[ \t]*(?:and[ \t]+)?|[ \t]+and[ \t]+)[\w./-]+)+")
SINGLE_WORDS = re.compile(r",[ \t]*(?:and[ \t]+)?|[ \t]+and[ \t]+")
COLUMN_HEADER = re.compile(r"^(?:services?|systems?|components?|applications?|products?|names?|impact)$", re.I)
# A list item "CI pipelines that request a registry token via ...": the name, not the clause
# that says which.
ITEM_CLAUSE = re.compile(r"(?<!\s)\s+(?:that|which|who|whose)\s.*$", re.I)
UNCLOSED_ASIDE = re.compile(r"(?<!\s)\s*\([^()]*$")
SERVICE_META_KEYS = (
    "services", "services_affected", "affected_services", "service", "affected", "components", "component",
    "systems", "product",
)


@dataclass
class Parsed:
    fields: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)  # field -> where it came from
    reason: str | None = None
    detail: str | None = None


@dataclass
class Block:
    label: str
    text: str
    kind: str  # "section", "label" or "table"
    field_name: str | None = None
    span: tuple[int, int] = (0, 0)  # a label block's body lines [start, end)
    # A label inside a section of its own role ("Direct cause:" under "Root cause analysis"):
    # the writer's statement of what the section explains.
    in_own_section: bool = False
    # The heading of the part of the page it sits in, past headings that only name a field
    # ("Root cause" under "## Incident of the month: checkout down"); "" at the page's top level.
    within: str = ""


def cause_and_fix_apart(by_field: dict[str, list[Block]]) -> None:
    """A section that tells the cause and the fix together ("Cause / fix (short version)"):
    its sentences that say what fixed it are the fix, the others the cause, each where no
    section of its own tells that field."""
    for block in by_field.pop("cause_and_fix", []):
        told = sentences(block.text)
        fixes = [x for x in told if STRONG_FIX.search(x)]
        causes = [x for x in told if x not in fixes]
        for name, part in (("root_cause", causes), ("fix", fixes)):
            if part and not any(b.in_own_section or b.kind == "section" for b in by_field.get(name, [])):
                by_field.setdefault(name, []).append(replace(block, text=" ".join(part), field_name=name))


# A long story's own one-sentence statement of the cause, set in bold after a lead that says so:
# "So, plainly: **a change to the flag at 08:59 set its rollout to 100% ...**", "To put the cause
# in a single sentence, as it appears in our internal review: **...**", "The short form: **...**".
PLAINLY_LEAD = re.compile(
    r"^(?:so,?\s+)?(?:(?:the\s+|our\s+)?(?:real\s+|actual\s+|root\s+)?cause,?\s+)?"
    r"(?:in\s+(?:short|brief|one\s+(?:line|sentence)|a\s+(?:single\s+)?sentence|our\s+(?:own\s+)?(?:terms|words))|put\s+simply|simply\s+put|plainly"
    r"|stated\s+(?:as\s+)?plainly\b.*|(?:the\s+)?short\s+(?:form|version)|to\s+put\s+(?:it|the\s+(?:root\s+)?cause)\s+(?:simply|plainly|in\s+(?:one|a\s+single)\s+sentence)\b.*)$",
    re.I,
)
BOLD_AFTER_LEAD = re.compile(r"(?:^|(?<=[.!?])[ \t]+)([^.!?:*\n]{2,120}):[ \t]*\n?[ \t]*\*\*([^*]{40,1200}?)\*\*", re.M)


def stated_plainly(prose: str) -> tuple[str, str]:
    """The cause as the writer sums it up in bold after saying so, where no section names it
    ('', '' where none does); never a statement of the fix."""
    for m in BOLD_AFTER_LEAD.finditer(prose):
        statement = " ".join(m.group(2).split())
        if PLAINLY_LEAD.match(m.group(1).strip()) and not STRONG_FIX.search(statement) and not is_draft_value(statement):
            return statement, "prose: stated plainly"
    return "", ""


def parse(text: str, *, source_id: str = "", meta: dict | None = None) -> Parsed:
    meta = dict(meta or {})
    try:
        front, body = split_front_matter(text)
    except ValueError as exc:
        return Parsed(reason="bad-front-matter", detail=str(exc))
    meta_keys = {k.lower() for k, v in meta.items() if v}
    props = {**{str(k).lower(): v for k, v in front.items()}, **{k.lower(): v for k, v in meta.items() if v}}

    def prop_origin(key: str) -> str:
        return f"{'properties' if key in meta_keys else 'front-matter'}: {key}"

    body, thread = comments_apart(fields_apart(without_withdrawn(body)))
    body, h1_origin = opening_title(body) if not props.get("title") else (body, "")
    blocks, preamble, h1 = read_blocks(caps_headings(body))
    by_field: dict[str, list[Block]] = {}
    for b in blocks:
        if b.field_name:
            by_field.setdefault(b.field_name, []).append(b)
    cause_and_fix_apart(by_field)
    if thread:
        # The issue's template as it was opened ("Root cause (if known): Maybe the event traffic?")
        # gives way to what its comments found.
        for name in ("root_cause", "fix"):
            known = [b for b in by_field.get(name, []) if not known_only_later(b.text)]
            if known:
                by_field[name] = known
            else:
                by_field.pop(name, None)

    def joined(name: str, keep=lambda block: True) -> str:
        return "\n\n".join(b.text for b in by_field.get(name, []) if b.text.strip() and keep(b)).strip()

    summary = joined("summary")
    timeline_raw = joined("timeline")
    unlabeled = "\n\n".join(
        [preamble] + [b.text for b in blocks if b.field_name is None and b.kind == "section"]
    ).strip()
    # A template (placeholders everywhere) is not a draft: a draft tells some of the story.
    has_story = any(clean_field(t) for t in (summary, timeline_raw, unlabeled, joined("impact")))
    draft = draft_detail(props, by_field, has_story)
    if draft:
        return Parsed(reason="draft", detail=draft)
    # Impact lists, detection stories, lessons learned and follow-ups have roles of their own:
    # they are never searched for the cause or the fix.
    front_summary = str(props.get("summary") or "")
    prose_pool = [("prose: summary", summary), ("prose", unlabeled), ("front-matter: summary", front_summary)]
    # A one-line summary in front matter sums up what went wrong ("A DNS record was deleted in a
    # cleanup"): its weak fix words are the cause's, only a strong cue there tells the fix.
    fix_pool = [*prose_pool[:2], ("front-matter: summary", " ".join(x for x in sentences(front_summary) if STRONG_FIX.search(x)))]

    root_cause, rc_origin = field_value(props, by_field, "root_cause", prop_origin)
    fix, fix_origin = field_value(props, by_field, "fix", prop_origin)
    labelled_fix = fix
    fix, fix_origin = corrective_as_fix(by_field, fix, fix_origin)
    if fix != labelled_fix and is_draft_value(fix):
        # Corrective actions read as the fix that only hold its place ("To be defined. Interim: ...").
        return Parsed(reason="draft", detail=f"the corrective action says '{' '.join(strip_markdown(fix).split())[:80]}'")
    if root_cause and not fix:
        # A cause section that goes on to tell what fixed it, where no section of its own does.
        root_cause, fix = fix_told_after(root_cause)
        fix_origin = rc_origin if fix else ""
    title_text = h1 or str(props.get("title") or "")
    if not root_cause:
        root_cause, rc_origin = stated_plainly("\n\n".join([summary, unlabeled]))
    # The cause is only the story's opening: no sentence says what caused it.
    told_only = False
    trigger_event = ""  # a narrative's first timed event, taken as the trigger: not the fix
    if not root_cause:
        # A timeline kept as a table is read row by row as "time — event" lines: its cells are no sentences.
        timeline_told = render_timeline(timeline_raw) if TABLE_ROW.search(timeline_raw) else timeline_raw
        root_cause, rc_origin = pick_sentences(
            CAUSE_CUES,
            STRONG_CAUSE,
            [*prose_pool, ("prose: fix", fix), (blocks_origin(by_field, "detection"), causes_in_detection(joined("detection"))),
             ("timeline", timeline_told if not summary else strongly_caused(timeline_told)), ("title", title_text)],
        )
        if not root_cause and "root_cause" not in by_field:
            # Only where the write-up has no cause slot: one left empty marks it unfinished.
            root_cause, rc_origin = story_opening(summary, by_field.get("timeline", []), preamble, (fix_origin, fix))
            told_only = True
            if root_cause and rc_origin == f"{STORY}: {fix_origin}":
                # The resolution told the story first: what was done is the rest of it.
                fix = " ".join(sentences(fix)[len(sentences(root_cause)):])
        elif rc_origin == "prose: summary":
            root_cause = explained(root_cause, summary)
            # A summary tells the change that set it off ("On Monday we deployed ...") early,
            # before the sentence with the cue that explains it (after it, a change is what was
            # done: "the breaker was replaced the next day"); impact sentences stay out.
            told = sentences(summary)
            cue_at = next((i for i, x in enumerate(told) if root_cause.startswith(x)), len(told))
            opening = next((x for x in told[:min(3, cue_at)] if CHANGE_TOLD.search(x) and not HEDGED.search(x) and not STRONG_FIX.search(x)), "")
            if opening and opening not in root_cause:
                root_cause = f"{opening} {root_cause}"
            elif not opening and not STRONG_CAUSE.search(root_cause):
                # Or a "What happened" story opens on it as its first timed event ("At 16:05 our
                # email provider started returning 503s"), as a provider's narrative does. Not
                # where a sentence names the cause outright: the first event may be the attack's
                # symptom ("our resolvers began receiving a flood of queries").
                event = first_timed_event(summary)
                if event and event not in root_cause:
                    root_cause, trigger_event = f"{event} {root_cause}", event
        elif rc_origin == "timeline" and not TABLE_ROW.search(timeline_raw):
            # A journal's entry goes on to say how the cause broke things, as a paragraph does.
            root_cause = explained(root_cause, entries_apart(timeline_raw))
        elif rc_origin == "prose":
            root_cause = explained(root_cause, unlabeled)
            # A narrative with no headings (a provider's event summary) tells the trigger as its
            # first timed event ("At 9:37AM, an operator executed a command ..."), without a cue.
            event = first_timed_event(unlabeled)
            if event and event not in root_cause:
                root_cause, trigger_event = f"{event} {root_cause}", event
        contributing = clean_field(joined("contributing"))
        if contributing:
            # The trigger the prose names, then the factors listed under their own heading.
            root_cause = "\n\n".join(p for p in (root_cause, contributing) if p)
            rc_origin = "; ".join(o for o in (rc_origin, blocks_origin(by_field, "contributing")) if o)
    if not fix:
        # A response story is searched first: where a write-up has one, it tells what fixed it.
        response_text = joined("response")
        response = [(blocks_origin(by_field, "response"), response_text)] if response_text else []
        # Why the response was slow may end on what fixed it; a wrong lead never does.
        hindsight_told = joined("hindsight", keep=lambda b: not WRONG_LEAD_LABEL.match(label_text(b.label)))
        fix, fix_origin = pick_sentences(
            FIX_CUES, STRONG_FIX,
            [*response, *fix_pool, ("timeline", last_entries(timeline_raw)), (blocks_origin(by_field, "hindsight"), hindsight_told)],
            exclude=trigger_event,
        )
        if response and fix_origin == response[0][0]:
            # A response told as timed steps: what was done once the cause was found, in full.
            fix = after_diagnosis(response_text) or fix
        if not fix:
            # Rendered, so timeline tables are read row by row like any other entries.
            fix, fix_origin = pick_sentences(FIX_CUES, STRONG_FIX, [("timeline", render_timeline(timeline_raw))])
    if not root_cause and fix and fix_origin == "timeline":
        # A journal (a ticket's work notes) that never names its cause: the diagnosis is what was
        # found just before the fix, told in the fix's own entry or the one before it.
        root_cause = diagnosis_before(timeline_raw, fix)
        if root_cause:
            rc_origin, told_only = "timeline: the entry before the fix", True
            fix = " ".join(x for x in sentences(fix) if x not in root_cause) or fix
    if not fix and rc_origin.startswith("label"):
        # "Root cause: the log volume filled. Fixed by deleting old logs.": a cause's label line
        # goes on to what fixed it, where nothing else tells the fix. (Not a cause's section: a
        # long analysis tells what was tried and undone on the way.)
        told = sentences(root_cause)
        at = next((i for i, x in enumerate(told) if i and STRONG_FIX.search(x)), None) if len(told) <= 4 else None
        if at is not None:
            root_cause, fix, fix_origin = " ".join(told[:at]), " ".join(told[at:]), rc_origin

    # "No action needed on our side" beside what the provider did ("Nimbra rolled back the
    # upgrade") is no fix of ours, but a fix all the same.
    if fix and NOTHING_DONE.search(fix) and not any(STRONG_FIX.search(x) and not NOTHING_DONE.search(x) for x in sentences(fix)):
        return Parsed(reason="no-fix", detail=f"the document says nothing was done ('{NOTHING_DONE.search(fix).group(0)}')")
    if fix == root_cause or (fix and not FIX_CUES.search(fix) and HEDGED.search(QUOTED_WORDS.sub(" ", fix))):
        # A "Resolution" that only restates a (suspected) cause says nothing about the fix. What
        # it quotes is someone else's words (a banner's "may have shown late"), no guess of its own.
        fix, fix_origin = pick_sentences(
            FIX_CUES, STRONG_FIX, [*fix_pool, ("timeline", last_entries(timeline_raw))], exclude=root_cause
        )
    if root_cause and all(HEDGED.search(s) for s in sentences(root_cause)) and len(root_cause.split()) < 40:
        root_cause = ""  # only a suspicion: not an established cause
    unknown = UNKNOWN_CAUSE.search(" ".join([root_cause, summary, preamble, front_summary, joined("status")]))
    if unknown and (not root_cause or told_only or UNKNOWN_CAUSE.search(root_cause)):
        # The write-up says the investigation has not found the cause yet: an unfinished draft.
        return Parsed(reason="draft", detail=f"the document says the cause is not known yet ('{unknown.group(0)}')")
    last_comment = next((b.text for b in reversed(blocks) if b.kind == "section" and COMMENT_LABEL.match(b.label)), "") if thread else ""
    left_open = LEFT_OPEN.search(last_comment)
    if left_open:
        return Parsed(reason="draft", detail=f"the issue's last comment leaves it open ('{left_open.group(0)}')")
    self_resolved = SELF_RESOLVED.search(body) if told_only else None
    if self_resolved:
        # No sentence tells a cause, and the write-up says the problem went away on its own
        # after what was tried: "self-resolved, cause unknown".
        return Parsed(reason="draft", detail=f"no cause is told and the problem went away on its own ('{self_resolved.group(0)}')")
    told = " ".join([fix, summary, preamble, unlabeled])
    no_fix = NO_FIX_YET.search(told) or FIX_UNDECIDED.search(body)
    if no_fix:
        return Parsed(reason="draft", detail=f"the document says the fix is not in place yet ('{no_fix.group(0)}')")
    updates = [m.group(1).lower() for m in STATUS_UPDATE.finditer(body)]
    if len(updates) >= 2 and not RESOLVED_STATES.intersection(updates) and not fix_origin.startswith(("heading", "label", "table")):
        # A status page's history whose newest update is still "Identified" or "Update": the
        # fix is being worked on, whatever its sentences about a fix say.
        return Parsed(reason="draft", detail=f"none of its status updates ({', '.join(dict.fromkeys(updates))}) says it is resolved")
    reopened = REOPENED.search(told)
    if reopened:
        return Parsed(reason="draft", detail=f"a later update reopens it ('{reopened.group(0)}')")
    if root_cause and rc_origin.startswith(("prose", STORY)) and not STRONG_CAUSE.search(root_cause) and conversation(body):
        # A meeting's transcript is people thinking aloud: its first cause-like sentence is as
        # often the symptom they chased. Only a cause someone states is one.
        return Parsed(reason="no-root-cause", detail="a conversation in which no one states the cause ('the cause was ...')")
    missing = [name for name, value in (("root-cause", root_cause), ("fix", fix)) if not value]
    if missing:
        reason = "no-" + "-and-".join(missing)
        detail = {
            "no-root-cause": "no root cause found in headings, labels or prose",
            "no-fix": "no fix or resolution found in headings, labels, prose or timeline",
            "no-root-cause-and-fix": "neither a root cause nor a fix was found",
        }[reason]
        return Parsed(reason=reason, detail=detail)

    title, title_origin = pick_title(props, h1, source_id, prop_origin, by_field, body, h1_origin)
    timeline, timeline_origin = render_timeline(timeline_raw), blocks_origin(by_field, "timeline")
    if not timeline:
        timeline = clip(summary or unlabeled or str(props.get("summary") or ""), 1200, one_line=False)
        timeline_origin = ("prose: summary" if summary else "prose" if unlabeled else prop_origin("summary")) if timeline else ""
    date, date_origin = pick_date(props, by_field, source_id, title, body, prop_origin)
    services, services_origin = pick_services(
        props, by_field, title, joined("impact"), summary, prop_origin, root_cause, PARAGRAPH_BREAK.split(unlabeled)[0], body
    )
    hints, hint_origin = category_hints(props, by_field, prop_origin)
    provenance = {
        "incident_title": title_origin,
        "date": date_origin,
        "services_affected": services_origin,
        "timeline": timeline_origin,
        "root_cause": rc_origin,
        "fix": fix_origin,
        "action_items": blocks_origin(by_field, "action_items"),
        "category_hint": hint_origin,
    }
    return Parsed(
        fields={
            "incident_title": literal(title),
            "date": date,
            "services_affected": services,
            "timeline": literal(timeline),
            "root_cause": literal(clip(root_cause, 2000, one_line=False)),
            "fix": literal(clip(fix, 2000, one_line=False)),
            "action_items": [literal(item) for item in list_items(joined("action_items"))],
            "category_hint": hints,
        },
        provenance={k: v for k, v in provenance.items() if v},
    )


def literal(text: str) -> str:
    """A field as a person reads it: a subsection's heading inside it ("### What failed") is its
    words, a "#" escaped so as not to open a heading is a "#", and a table is its rows, one a
    line ("20:30 — Non-essential VMs shut down"), without the rules and the header's names."""
    lines = MD_HEADING.sub(r"\2", text).replace("\\#", "#").split("\n")
    out = []
    for i, line in enumerate(lines):
        cells = table_cells(line)
        if not cells:
            out.append(line)
        elif not TABLE_RULE_LINE.fullmatch(line.strip()) and not (
            i + 1 < len(lines) and TABLE_RULE_LINE.fullmatch(lines[i + 1].strip()) and "|" in lines[i + 1]
            and all(len(c.split()) <= 3 for c in cells)
        ):
            out.append(" — ".join(c.replace("\\|", "|") for c in cells if c))
    return "\n".join(out)


# -- provenance --------------------------------------------------------------------------------

BLOCK_ORIGIN = {"section": "heading", "label": "label", "table": "table"}
# Front matter / page property keys that hold a field's value outright.
FIELD_PROPS = {"root_cause": ("root_cause", "root cause", "cause"), "fix": ("fix", "resolution", "remediation")}


def block_origin(b: Block) -> str:
    """Where one block's text came from ("heading: Root cause", "label: Resolution")."""
    return f"{BLOCK_ORIGIN[b.kind]}: {b.label}"


def blocks_origin(by_field: dict, name: str) -> str:
    """Where a field's joined blocks came from: the first one with text."""
    b = next((b for b in by_field.get(name, []) if b.text.strip()), None)
    return block_origin(b) if b else ""


NAMED_ROOT_CAUSE = re.compile(r"root[\s-]*cause", re.I)


CORRECTIVE = re.compile(r"^corrective\s+(?:actions?|measures|steps)$", re.I)
COUNTERMEASURES = re.compile(rf"^{COUNTERMEASURE}\b", re.I)
# A section's label that says its items are still to come: "Countermeasures (open)".
NOT_DONE_YET = re.compile(r"\((?:open|planned|pending|proposed|not\s+(?:yet\s+)?(?:started|done)|in[\s-]progress)\)", re.I)
IMMEDIATE_CORRECTION = re.compile(r"^immediate\s+corrections?$|^corrections?\s+(?:taken|made|applied)$", re.I)
# "Immediate: ...", "**Immediate (done during the event):**": what was done at once, then
# "Longer term:", "Permanent:" or "Follow-up:" for what is still to do.
IMMEDIATE_LEAD = re.compile(r"^\W{0,4}immediate(?:ly)?\b[^:\n]{0,40}:", re.I)
LATER_LEAD = re.compile(r"(?im)^\W{0,4}(?:longer|long|medium)[\s-]term\b[^:\n]{0,40}:|^\W{0,4}(?:permanent|follow[\s-]?ups?|prevent(?:at)?ive|next\s+steps)\b[^:\n]{0,40}:")


def taken_as_fix(by_field: dict, blocks: list[Block]) -> tuple[str, str]:
    """Follow-up blocks read as the fix: their text and origin; they leave the follow-ups."""
    by_field["action_items"] = [b for b in by_field["action_items"] if b not in blocks]
    return clean_field("\n\n".join(b.text for b in blocks)), blocks_origin({"fix": blocks}, "fix")


def corrective_as_fix(by_field: dict, fix: str, fix_origin: str) -> tuple[str, str]:
    """The fix and its origin once "Corrective actions" are read as what was done, and taken out
    of the follow-ups (`by_field` is updated). Beside another list of follow-ups, they are what
    was done: a reason-for-outage letter's fix where no section tells one, and a CAPA report's
    removal of the cause its immediate correction worked around. Alone, they list the follow-ups,
    unless they open on what was done at once ("Immediate (done during the event): ..."): that
    part is the fix, the longer-term part after it the follow-ups."""
    corrective = [b for b in by_field.get("action_items", []) if CORRECTIVE.match(label_text(b.label))]
    if corrective and any(b not in corrective for b in by_field["action_items"]):
        if not fix:
            fix, fix_origin = taken_as_fix(by_field, corrective)
        elif any(IMMEDIATE_CORRECTION.match(label_text(b.label)) for b in by_field.get("fix", [])):
            done = [f"- {item}" for b in corrective for item in list_items(b.text)]
            fix = clean_field("\n\n".join([fix, "\n".join(done)]))
            fix_origin = f"{fix_origin}; {blocks_origin({'fix': corrective}, 'fix')}"
            by_field["action_items"] = [b for b in by_field["action_items"] if b not in corrective]
    countered = [b for b in by_field.get("action_items", []) if COUNTERMEASURES.match(label_text(b.label)) and not NOT_DONE_YET.search(b.label)]
    if countered and not fix:
        # A Lean A3 tells what was done as its countermeasures, contained first; beside a section
        # on how service was restored (a Five Whys page) they are the follow-ups, and so are
        # "Countermeasures (open)".
        fix, fix_origin = taken_as_fix(by_field, countered)
    for b in [b for b in corrective if b in by_field.get("action_items", []) and IMMEDIATE_LEAD.match(b.text)]:
        later = LATER_LEAD.search(b.text)
        done, rest = (b.text[: later.start()], b.text[later.start():]) if later else (b.text, "")
        fix = clean_field("\n\n".join(x for x in (fix, done) if x))
        fix_origin = "; ".join(o for o in (fix_origin, blocks_origin({"fix": [b]}, "fix")) if o)
        by_field["action_items"] = [replace(x, text=rest) if x is b else x for x in by_field["action_items"] if x is not b or rest]
    return fix, fix_origin
# "Reverting the image fixed it.", "That resolved the problem.": the fix named by its effect.
FIXED_IT = re.compile(r"\b(?:fixed|resolved|solved|cured)\s+(?:it|this|things|the\s+(?:problem|issue|outage|incident))\b", re.I)


def fix_told_after(cause: str) -> tuple[str, str]:
    """A cause section's paragraphs up to the first that opens on the fix ("... so every kernel
    failed to start.\n\nReverting the default image fixed it."), and the rest: the fix."""
    paragraphs = PARAGRAPH_BREAK.split(cause)
    for at, paragraph in enumerate(paragraphs[1:], start=1):
        opening = next(iter(sentences(paragraph)), "")
        if responders_acted(opening) or FIXED_IT.search(opening):
            return "\n\n".join(paragraphs[:at]).strip(), "\n\n".join(paragraphs[at:]).strip()
    return cause, ""


def field_value(props: dict, by_field: dict, name: str, prop_origin) -> tuple[str, str]:
    """A cause or fix stated outright: front matter or page property first, then blocks."""
    for key in FIELD_PROPS[name]:
        value = clean_field(str(props.get(key) or ""))
        if value:
            return value, prop_origin(key)
    # A team's own key for it ("resolution_summary", "why"), holding a sentence rather than a
    # particular ("fix_version: 2.3.1").
    for key, raw in props.items():
        if isinstance(raw, str) and len(raw.split()) >= 5 and classify_label(re.sub(r"[_-]+", " ", str(key))) == name:
            value = clean_field(raw)
            if value:
                return value, prop_origin(key)
    # A section the writer titled "Root cause" says it in one line where "Fault" or "Trigger"
    # tell the story around it: it opens the field.
    # A label the writer put inside that section leads it: the section explains, the label states.
    blocks = sorted(by_field.get(name, []), key=lambda b: (not b.in_own_section, not NAMED_ROOT_CAUSE.search(b.label)))
    if any(not WHAT_BROKE.match(label_text(b.label)) for b in blocks):
        # "What broke" beside a "Why" section tells the impact; alone, it tells the cause.
        blocks = [b for b in blocks if not WHAT_BROKE.match(label_text(b.label))]
    blocks = [b for b in blocks if b.text.strip() and not TRACKER_STATE.fullmatch(strip_markdown(b.text).strip())]
    # A fix's block that holds another ("Resolution notes:" over the writer's own "Cause: ..."
    # and "Fix: ..." labels) gives way to it: the writer named the part that is the fix. (Among
    # a few: a page of thousands of labels is no record's field, and a check of each against
    # each would be quadratic.)
    told = [" ".join(b.text.split()) for b in blocks] if name == "fix" and len(blocks) <= 20 else []
    blocks = [b for b, t in zip(blocks, told) if not any(o != t and o in t for o in told)] if told else blocks
    # A "Corrected root cause" in a later update replaces the one first given ("Trigger (Monday's
    # understanding)"), and so does a "Corrected resolution".
    corrected = [b for b in blocks if CORRECTED_LABEL.match(label_text(b.label))]
    if corrected:
        # Told after what it replaces was restated: only what the correction says now.
        blocks = [replace(b, text=" ".join(itertools.dropwhile(PREVIOUSLY_SAID.match, sentences(b.text))) or b.text)
                  if PREVIOUSLY_SAID.match(b.text.lstrip()) else b for b in corrected]
    value = clean_field("\n\n".join(b.text for b in blocks))
    return (value, blocks_origin({name: blocks}, name)) if value else ("", "")


CORRECTED_LABEL = re.compile(rf"^(?:the\s+)?(?:{CORRECTED}|correction\s+(?:to|of|for))\b", re.I)
# An addendum's "**Correction to the "Fix" section.**": the field it corrects.
CORRECTION_OF = re.compile(r"^correction\s+(?:to|of|for)\s+(?:the\s+)?[\"“'‘]?(.{2,40}?)[\"”'’]?(?:\s+section)?$", re.I)
# The correction's opening, what was said before and that it was wrong: "We previously stated
# that restarting push-sender fixed the problem.", "This was incorrect: ..."
PREVIOUSLY_SAID = re.compile(
    r"^(?:we|it\s+was|the\s+(?:[\w-]+\s+){0,2}(?:section|report|review))\s+(?:had\s+)?(?:previously|originally|initially|first|earlier)\s+(?:stated|said|wrote|reported|claimed|given)"
    r"|^(?:this|that)\s+(?:was|is)\s+(?:incorrect|wrong|not\s+(?:correct|right|true))\b",
    re.I,
)


# A tracker's resolution field ("Resolution: Fixed", "Won't Fix") is the ticket's state, not
# what fixed the incident.
TRACKER_STATE = re.compile(
    r"(?:fixed|done|resolved|closed|completed?|won'?t\s+(?:fix|do)|duplicate|cannot\s+reproduce|incomplete|invalid|declined)\.?",
    re.I,
)


def conversation(body: str) -> bool:
    """Most of the document is turns of named people talking (a transcript, not a write-up)."""
    paragraphs = [p for p in PARAGRAPH_BREAK.split(body) if p.strip()]
    turns = sum(bool(SPEAKER_TURN.match(p.strip())) for p in paragraphs)
    return turns >= 6 and turns * 3 >= len(paragraphs) * 2


def pick_sentences(cues: re.Pattern, strong: re.Pattern, pools: list[tuple[str, str]], exclude: str = "") -> tuple[str, str]:
    """find_sentences over named pools, with the name of the pool the first sentence came from."""
    found = find_sentences(cues, strong, [text for _, text in pools], exclude=exclude)
    if not found:
        return "", ""
    for name, text in pools:
        if any(found.startswith(s) for s in sentences(text or "")):
            return found, name
    return found, "prose"


# Sections that tell the incident's story in order, so their opening sentences name the trigger
# even when no sentence says "caused by": "Context", "Background", "What happened".
STORY_LABEL = re.compile(r"^(?:context|background|what\s+happened\??)$", re.I)


# "At 9:37AM PST, ...", "At 13:14 UTC ...": an event told with its time in running prose.
TIMED_EVENT = re.compile(r"^(?:at|around|shortly\s+after)\s+(?:approximately\s+|about\s+)?\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?", re.I)


def first_timed_event(story: str) -> str:
    """The story's first timed event that is neither what users saw, how it was noticed, a
    guess nor the fix: the trigger, where no sentence names it with a cue. A change the team
    made stays one ("At 10:14 we had shipped 2024.18.2, which replaced ...")."""
    return next((x for x in sentences(story) if TIMED_EVENT.match(x) and not IMPACT_SENTENCE.search(x)
                 and not DETECTION_STORY.search(x) and not HEDGED.search(x)
                 and not STRONG_FIX.search(x) and not TRAFFIC_MOVED.search(x)
                 and not (responders_acted(x) and not CHANGE_TOLD.search(x))), "")


# Traffic taken off what broke: "we removed the affected link from routing", "all traffic now
# uses the second link", "moved traffic off the faulty path". What was done, never the trigger.
TRAFFIC_MOVED = re.compile(
    r"\b(?:removed|took|taken|pulled|drained)\s+(?:the\s+)?(?:affected\s+|faulty\s+|bad\s+)?[\w-]+(?:\s+[\w-]+)?\s+(?:from|out\s+of)\s+(?:routing|rotation|service|the\s+pool)\b"
    r"|\b(?:all\s+)?traffic\s+(?:now\s+)?(?:uses|goes\s+(?:over|through|via))\b|\bmoved\s+(?:all\s+)?traffic\s+(?:off|away\s+from|to)\b",
    re.I,
)


# A change someone made, told as the story's first event: the trigger the cue sentence explains.
CHANGE_TOLD = re.compile(
    r"\b(?:deploy(?:ed|ing)|upgrad(?:ed|ing)|appl(?:ied|ying)|migrat(?:ed|ing)|chang(?:ed|ing)|roll(?:ed|ing)\s+out"
    r"|releas(?:ed|ing)|updat(?:ed|ing)|merg(?:ed|ing)|introduc(?:ed|ing)|bump(?:ed|ing)|modif(?:ied|ying)|replac(?:ed|ing)"
    r"|(?:was|were)\s+(?:\w+\s+)?(?:run|executed|removed|deleted|moved|switched|renamed|enabled|disabled))\b",
    re.I,
)


# What users saw and for how long: a summary often opens on it, and it is the symptom, never
# the cause ("Between 13:05 and 14:47 roughly 3.8% of requests failed with HTTP 502").
IMPACT_SENTENCE = re.compile(
    # "Between 06:15 and 09:50 ...", "On Wednesday 4 September between roughly 06:15 and ...".
    r"^(?:on\s+[\w ,]{3,30}?\s+)?(?:between|from)\s+(?:roughly\s+|about\s+|approximately\s+|around\s+)?\d{1,2}[:.]\d{2}\b|\b\d+(?:\.\d+)?\s*%\s+of\b"
    r"|\b(?:users?|customers?|merchants?|clients?|visitors?|people)\s+(?:[\w-]+\s+){0,5}?(?:saw|experienced|received|got|were\s+(?:getting|seeing|unable)|could\s+not|couldn't)\b"
    r"|\b(?:checkout|requests?|calls?|queries|operations|launches|builds|attempts)\s+(?:[\w-]+\s+){0,5}?(?:failed|timed\s+out|were\s+(?:abandoned|dropped|rejected))\b"
    r"|\b(?:disruption|impact|outage)\s+(?:extended|spread)\b",
    re.I,
)


# "See also the HN discussion.", "More details in the vendor's report.": where to read on.
POINTER = re.compile(r"(?:see|read|refer\s+to|more\s+(?:details|info\w*)|for\s+(?:more|details|further))\b", re.I)


SYMPTOM_TOLD = re.compile(
    r"\bfor\s+(?:about\s+|roughly\s+|nearly\s+|almost\s+|over\s+|around\s+)?(?:\d+|an?|one|two|three|several|forty|thirty|twenty|ninety)\s+(?:\w+\s+)?(?:minutes|hours|days)\b"
    r"|\b(?:could\s*(?:not|n't)|were\s+unable\s+to|was\s+unavailable|went\s+down|were\s+declined|timed\s+out)\b",
    re.I,
)


TABLE_ROW = re.compile(r"^[ \t]*\|.*\|[ \t]*$", re.M)


def strongly_caused(timeline: str) -> str:
    """A timeline's entries that name a cause outright ("14:21 Confirmed in the logs: ..."). Beside
    a summary that tells the story, an entry's weak cue ("the rows were deleted") is an event."""
    return "\n".join(s for s in sentences(timeline) if STRONG_CAUSE.search(s))


def story_opening(
    summary: str, timeline_blocks: list[Block], preamble: str, fix: tuple[str, str] = ("", ""), limit: int = 3
) -> tuple[str, str]:
    """The first sentences of the document's story, as the cause of last resort: a clear
    write-up with no cause wording still opens on what set the incident off. Impact sentences
    are left out: what users saw is the symptom. Last, a resolution that tells the story before
    what was done ("Pipelines had been paused ... Route tables were rebuilt ..."): its sentences
    up to the fix, never the fix itself. `fix`: (origin, text) of the fix. Its origin is
    STORY's ("story: summary"), so an answer can say the write-up names no cause."""
    pools = [(f"{STORY}: summary", summary)]
    labelled = [(f"{STORY}: {b.label.strip().lower()}", b.text) for b in timeline_blocks if STORY_LABEL.match(b.label.strip())]
    # An incident log's paragraph under its "Context:" line tells the change that set it off ("At
    # 09:20 we applied a Terraform change ..."), where the context is how the system runs.
    changed = first_timed_event(preamble)
    pools += [(STORY, preamble), *labelled] if changed and CHANGE_TOLD.search(changed) else [*labelled, (STORY, preamble)]
    fix_origin, fix_text = fix
    if fix_origin.startswith(("heading", "label", "table")):
        resolution = sentences(fix_text)
        told = list(itertools.takewhile(lambda x: not FIX_CUES.search(x), resolution))
        if told and len(told) < len(resolution):
            pools.append((f"{STORY}: {fix_origin}", " ".join(told)))
    for origin, text in pools:
        # A review's particulars ("Incident window: ...", "Review lead: ...") tell no story.
        story = clean_field("\n".join(
            line for line in (text or "").split("\n") if not particulars(line) and not BYLINE.match(line) and not MAIL_HEADER.match(line)
        ))
        paragraphs = [p for p in PARAGRAPH_BREAK.split(story) if p.strip()]
        if origin == STORY and len(paragraphs) > 1 and any(IMPACT_SENTENCE.search(s) or SYMPTOM_TOLD.search(s) for s in sentences(paragraphs[0])):
            # A retelling with no headings opens on what users saw ("For forty minutes riders
            # could not be matched ..."); the story of why starts with the next paragraph. Unless
            # the rest only tells the fix and what follows it: the opening paragraph went on to why.
            rest = "\n\n".join(paragraphs[1:])
            if any(x not in fix_text and not off_the_story(x) and not says_nothing(x) and not RECOVERED.match(x) and not SIGN_OFF.match(x) for x in sentences(rest)):
                story = rest
        # A story is told in words: a run of badges ("Incident › INC-0977 SEV-2 Resolved") is none.
        found = [s for s in sentences(story) if not says_nothing(s) and not SIGN_OFF.match(s) and len(PROSE_WORD.findall(s)) >= 3]
        found = [s for s in found if not off_the_story(s)] or found
        # Timestamped entries are a timeline, not a story; a suspicion or a template's
        # instructions are no cause. Any of those and the section says nothing certain.
        if found and not HEDGED.search(text) and not any(TIME_HEADING.match(s) or DATE_RE.match(s) or PLACEHOLDER.search(s) for s in found[:limit]):
            return " ".join(found[:limit]), origin
    return "", ""


PROSE_WORD = re.compile(r"\b[a-z]{2,}\b")
# "— Marcus", "-- Ana R.": the writer signing off under the story, no part of it.
SIGN_OFF = re.compile(r"^[—–-]{1,2}\s*[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,2}$")


# "2023-10-11, @mholst", "2031-10-11 by Ana Ruiz": who wrote it and when, under the title. Its
# date would read as a timeline's first entry, and a timeline is no story.
# An email's headers over its text: whose message it is, not its story.
MAIL_HEADER = re.compile(r"^(?:subject|from|to|cc|bcc|date|sent|reply-to)[ \t]*:", re.I)
BYLINE = re.compile(
    r"^[ \t]*[*_]*(?:(?:20|19)\d\d-\d\d-\d\d[ \t]*(?:,|·|[-–—]|\bby\b)[ \t]*(?:by[ \t]+)?"
    r"(?:@[\w-]+|[A-Z][\w'-]+(?:[ \t]+[A-Z][\w'-]+){0,2}))[*_]*[ \t]*$"
)


# "The editor became unreachable after an engineer deleted the record": the outage's onset and
# its trigger, whatever fix words the trigger uses. Never the fix.
ONSET_AFTER = re.compile(
    r"\b(?:became|went|was|were|grew)\s+(?:[\w-]+\s+){0,2}?(?:unreachable|unavailable|inaccessible|down|offline|degraded|unresponsive|slow)"
    r"\s+(?:[\w-]+\s+){0,3}?(?:after|when|because|once)\b",
    re.I,
)


# "We rolled back ...": the responders acting, which is the fix (a weak fix cue alone is not:
# "That release replaced the query builder" explains the cause).
# A team named by what it does: "the facilities team", "our network engineers", "the DBAs".
NAMED_TEAM = r"(?:the|our)\s+(?:[\w-]+\s+){0,2}(?:team|technicians?|operators?|engineers?|dbas?)"
WE_ACTED = re.compile(
    r"(?:we|the\s+team|on-?call|engineers?|the\s+responders?|facilities|technicians?|operators?|" + NAMED_TEAM
    # Another department or the supplier doing the repair: "IT Services restored the storage".
    + r"|(?:central\s+)?IT\s+(?:services|support|operations)|the\s+(?:vendor|supplier|provider|carrier))\b",
    re.I,
)
# Short enough that the sentence names a trigger without saying how it broke things.
EXPLAINED_CHARS = 250


# "Latency was normal from 20:30.", "Follow-up: a check that ...": after the fix, not the story.
RECOVERED = re.compile(
    r"^(?:[\w-]+\s+){1,4}(?:was|were|is|are)\s+(?:back\s+to\s+)?(?:normal|healthy|stable)\b|^(?:follow[\s-]?ups?|action\s+items?|next\s+steps?)\s*:",
    re.I,
)


def responders_acted(sentence: str) -> bool:
    """The fix told as the responders' act, timed or not ("At 10:36 we restarted ...")."""
    acting = WE_ACTED.match(TIMED_EVENT.sub("", sentence).lstrip(" ,"))
    return bool(STRONG_FIX.search(sentence) or (FIX_CUES.search(sentence) and acting))


def off_the_story(sentence: str) -> bool:
    """A sentence that is no part of a cause's story: the fix, what users saw, or a pointer to
    read on."""
    return bool(responders_acted(sentence) or IMPACT_SENTENCE.search(sentence) or POINTER.match(sentence))


def explained(cause: str, pool: str, limit: int = 2) -> str:
    """A short cause sentence with the sentences that follow it in its paragraph, which say how
    the trigger broke things ("The failures started with the v4.12 rollout. That release
    switched ..."), up to the fix, an impact sentence or the paragraph's end."""
    if len(cause) >= EXPLAINED_CHARS:
        return cause
    for para in PARAGRAPH_BREAK.split(pool):
        found = sentences(para)
        at = next((i for i, s in enumerate(found) if cause.endswith(s)), None)
        if at is None:
            continue
        more = []
        for s in found[at + 1:at + 1 + limit]:
            if s in cause:
                continue  # already picked, for a cue of its own
            if off_the_story(s) or HEDGED.search(s):
                break
            more.append(s)
        return " ".join([cause, *more])
    return cause


def causes_in_detection(text: str) -> str:
    """A detection section's sentences that are not the story of how it was noticed: some
    templates ("Identified: ...") state the cause there."""
    return "\n".join(s for s in sentences(text) if not DETECTION_STORY.search(s))


# -- drafts ------------------------------------------------------------------------------------


def draft_detail(props: dict, by_field: dict, has_story: bool) -> str | None:
    """Why the write-up is an unfinished draft, or None. A status that says so (front matter,
    page property, a `Status:` label or table row), or a cause or fix field that holds only a
    placeholder for an answer nobody has yet."""
    for key, value in props.items():
        if (key == "state" or "status" in key) and isinstance(value, str) and DRAFT_STATUS.match(value):
            return f"its {key} is '{value.strip()[:60]}'"
        if (key in ("draft", "wip") and value is True) or (key == "published" and value is False):
            return f"its front matter says {key}: {str(value).lower()}"
    for b in by_field.get("status", []):
        first = strip_markdown(b.text).strip().split("\n")[0]
        if DRAFT_STATUS.match(first):
            return f"its {b.label.strip('*: ')} is '{first[:60]}'"
    for name, what in (("root_cause", "root cause"), ("fix", "resolution")):
        if not has_story:
            break
        # "Root cause: unclear, possibly network" under a Root cause heading: the answer follows
        # the label the writer repeated.
        blocks = [b for b in by_field.get(name, []) if b.text.strip()]
        # A workaround in place beside a fix slot that says no fix is agreed yet: still a draft.
        blocks = [b for b in blocks if not WORKAROUND.match(label_text(b.label))] or blocks
        texts = [OWN_LABEL.sub(lambda m: "" if classify_label(m.group(1)) == name else m.group(0), b.text) for b in blocks]
        texts += [str(props[k]) for k in FIELD_PROPS[name] if props.get(k)]
        if texts and any(is_draft_value(t) for t in texts) and all(is_draft_value(t) or not clean_field(t) for t in texts):
            first = next(t for t in texts if is_draft_value(t))
            return f"the {what} says '{' '.join(strip_markdown(first).split())[:80]}'"
        if texts and all(not clean_field(t) for t in texts) and any(PLACEHOLDER.search(t) or TEMPLATE_GUIDANCE.search(t) for t in texts):
            # The rest of the story is told, this section is still the template's.
            return f"the {what} is still the template's placeholder"
    return None


def known_only_later(text: str) -> bool:
    """A template field an issue was opened with, before anyone knew: a placeholder, or only
    guesses and questions ("Maybe the weekend traffic? Not confirmed.")."""
    told = sentences(strip_markdown(text))
    return is_draft_value(text) or not clean_field(text) or all(
        HEDGED.search(x) or asks(x) or GUESS.search(x) for x in told
    )


def asks(sentence: str) -> bool:
    """A question, closing quote or bracket after its mark included ("(was it the proxy?)")."""
    return sentence.rstrip(" )\"'”’").endswith("?")


# "Maybe the event traffic?", "Probably the broker", "Not confirmed.", "Could this be the edge?":
# a guess, said as one.
GUESS = re.compile(r"\b(?:maybe|perhaps|probably|possibly|could\s+(?:it\s+|this\s+|that\s+)?be|not\s+(?:yet\s+)?confirmed|no\s+idea)\b", re.I)


WORKAROUND = re.compile(r"^(?:temporary\s+)?work[\s-]?arounds?\b", re.I)
OWN_LABEL = re.compile(r"^\W*([A-Za-z][A-Za-z ]{1,30}?)\s*:\s*")
BARE_PLACEHOLDER = re.compile(
    r"^\W*(?:tbd|tbc|todo|to\s+be\s+(?:determined|confirmed|identified|established|defined|agreed|decided)(?:\s+(?:after|once|when|by)\s+[\w\s'-]{1,40}?)?|unknown|pending|open)\b\s*(?:[-–—:.,;(]|$)",
    re.I,
)


def is_draft_value(text: str) -> bool:
    """A cause or fix that only says it is not known yet: the cue opens it (its first clause)
    and the text is short. A cause stated first, with an open question after it, is no draft."""
    plain = " ".join(strip_markdown(text).split())
    if plain and not re.search(r"\w", plain):
        return True  # "?", "-", "…": a placeholder for an answer
    if BARE_PLACEHOLDER.match(plain):
        return True  # "TBD - waiting on vendor. We have asked ...": the answer slot still open
    if STOPS_MID_SENTENCE.search(plain) and len(plain.split()) < 60:
        return True  # "The reason of problem was the": a write-up left off mid-sentence
    opening = (sentences(text) or [plain])[0]
    if len(strip_markdown(opening).split()) <= 4 and DRAFT_VALUE.search(opening):
        return True  # "**Pending RCA.** The supplier has confirmed ...": the slot's answer, the story so far after it
    first = re.split(r"[;:—–]|\s-\s", opening, maxsplit=1)[0]
    return bool(DRAFT_VALUE.search(first)) and len(plain.split()) < 60


# -- structure ---------------------------------------------------------------------------------


# Where front matter ends: YAML's `---` (or `...`), Hugo's TOML `+++`.
FRONT_MATTER_FENCES = {
    "---": r"^---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)",
    "+++": r"^\+\+\+[ \t]*\r?\n(.*?)\r?\n\+\+\+[ \t]*(?:\r?\n|$)",
}


def split_front_matter(text: str) -> tuple[dict, str]:
    text = text.lstrip("\ufeff")
    fence = next((f for f in FRONT_MATTER_FENCES if text.startswith(f)), None)
    if fence is None:
        return {}, text
    m = re.match(FRONT_MATTER_FENCES[fence], text, re.S)
    if not m and fence == "---":
        return {}, text  # a rule at the top of the page (an export's banner, a ticket's separator), not front matter
    if not m:
        raise ValueError(f"front matter opened with '{fence}' but never closed")
    if len(m.group(1)) > MAX_FRONT_MATTER:
        raise ValueError(f"front matter is over {MAX_FRONT_MATTER:,} characters")
    return (_toml_mapping if fence == "+++" else _yaml_mapping)(m.group(1)), text[m.end():]


def _yaml_mapping(block: str) -> dict:
    try:
        data = yaml.load(block, Loader=SafeYamlLoader) or {}
    except RefusedYaml as exc:
        raise ValueError(f"front matter {exc}")
    except yaml.YAMLError as exc:
        # People write front matter by hand, and YAML refuses what they mean: "title: Incident:
        # DB outage", "title: [DRAFT] Checkout errors". Lines that are all `key: value` (and
        # `- item` under a key) are read as such, values as written.
        fields = _plain_fields(block)
        if fields is not None:
            return fields
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark else ""
        raise ValueError(f"front matter is not valid YAML{where}: {getattr(exc, 'problem', exc)}")
    if not isinstance(data, dict):
        raise ValueError("front matter is not a YAML mapping")
    return data


_PLAIN_FIELD = re.compile(r"^([A-Za-z_][\w .-]{0,40}?)[ \t]*:(?:[ \t]+(.*?))?[ \t]*$")
_PLAIN_ITEM = re.compile(r"^[ \t]*-[ \t]+(.*?)[ \t]*$")


def _plain_fields(block: str) -> dict | None:
    """`key: value` lines (and `- item` lines under a key with no value), or None when the
    block has any other line."""
    fields: dict = {}
    key = None
    for line in block.split("\n"):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        field = _PLAIN_FIELD.match(line)
        item = _PLAIN_ITEM.match(line)
        if field and not line[:1].isspace():
            key, value = field.group(1).strip(), (field.group(2) or "").strip()
            fields[key] = value[1:-1] if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"" else value or []
        elif item and key is not None and isinstance(fields[key], list):
            fields[key].append(item.group(1))
        else:
            return None
    return fields or None


def _toml_mapping(block: str) -> dict:
    try:
        return tomllib.loads(block)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"front matter is not valid TOML: {exc}")


# Front matter holds a few fields; anything bigger is not a post-mortem's header.
MAX_FRONT_MATTER = 20_000


# "ROOT CAUSE" on a line of its own: a status page's or an incident report's section title,
# pasted into markdown without its markup.
CAPS_LINE = re.compile(r"^[A-Z][A-Z0-9 &/'()-]{2,60}\??$")


# A page's meta line runs fields together ("Published June 18 · Region: AMS-2 · Services: Block
# Volumes, Compute"): a field the parser reads starts a line of its own.
# A field's name: a few words ("Services", "Affected Version/s").
FIELD_KEY = r"[A-Za-z][\w/&-]*(?: [\w/&-]+){0,3}"
# Bold or not: "**Date:** 2024-12-23 | **Status:** monitoring".
META_SEPARATOR = re.compile(rf"(?<![ \t])[ \t]+[·•|][ \t]+(?=(?:\*\*)?({FIELD_KEY})(?::\*\*|\*\*:|:)[ \t])")


def fields_apart(body: str) -> str:
    """Each field of a meta line on a line of its own, where one of them is a field the parser
    reads ("**Region:** eu-north-2 · **Services:** a, b · **Customer-facing:** yes")."""
    lines = []
    for line in body.split("\n"):
        found = [] if line.lstrip().startswith("|") else list(META_SEPARATOR.finditer(line))
        if not any(classify_label(m.group(1)) for m in found) and not (found and classify_label(line.split(":", 1)[0].strip(" *_>-"))):
            lines.append(line)
            continue
        start = 0
        for m in found:
            lines.append(line[start:m.start()])
            start = m.end()
        lines.append(line[start:])
    return "\n".join(lines)


# A tracker issue's comments, as GitHub or GitLab pages are saved: "**@hollis** commented on Jan
# 16, 2024", "> farah.lin wrote:", "@dkwon commented:".
COMMENT_HEADER = re.compile(
    r"^[ \t]*(?:>[ \t]*)?(?:\*\*)?@?([\w][\w.-]{0,38})(?:\*\*)?(?:[ \t]+\([^()\n]{1,40}\))?[ \t]+"
    r"(?:commented|wrote|replied|added\s+a\s+comment)\b[^\n]{0,60}$",
    re.I | re.M,
)
MIN_COMMENTS = 2
COMMENT_LABEL = re.compile(r"^Comment by ")
# "Leaving this open.", "Keeping the issue open until ...": the thread ends unresolved.
LEFT_OPEN = re.compile(
    r"\b(?:leaving|keeping|leave|keep)\s+(?:this|it|the\s+(?:issue|ticket|incident))\s+open\b"
    # Open for its follow-ups: "Leaving the issue open until the unchecked items are done."
    r"(?!\s+(?:until|till|to\s+track|for)\s+(?:[\w-]+\s+){0,3}?(?:action\s+items?|items|follow[\s-]?ups?|tasks|to-?dos?|actions?|checkboxes|checklist)\b)"
    r"|\breopen(?:ing|ed)\s+(?:this|it|the\s+(?:issue|ticket|incident))\b",
    re.I,
)


# Words struck through (~~...~~, from <del>, a word processor's strike or AsciiDoc's
# line-through), never across a paragraph's end.
STRUCK = re.compile(r"~~(?=[^\s~])((?:[^~\n]|\n(?![ \t]*\n)){1,3000}?)~~")
# What is left of a line whose words were struck: its markup, or the label that introduced them
# ("**Revision 1 (superseded):**", "> ").
STRUCK_REMAINS = re.compile(r"^[\W_]*(?:[^\W_][^:\n]{0,60}:[\W_]*)?$")


# A paragraph the writer labels as withdrawn: "*Original (19 Sep, superseded):* a TTL regression
# ...", "**Superseded:** ...". A short label, or the word in brackets: "... so superseded updates
# do not pile up" withdraws nothing.
PARAGRAPH_SPLIT = re.compile(r"(?<=\n)(?=[ \t]*\n)")
PARAGRAPH_LABEL = re.compile(r"^[ \t>*_-]{0,6}([^:\n]{1,50}):")
WITHDRAWN = re.compile(
    r"\b(?:superseded|withdrawn|retracted|no\s+longer\s+(?:accurate|valid|correct)|(?:corrected|revised)\s+below)\b", re.I
)
# "*(As understood on 17 May; corrected below.)* A surge in ...": the writer's note in brackets
# that opens the paragraph.
PARAGRAPH_ASIDE = re.compile(r"^[ \t>*_-]{0,6}\(([^()\n]{1,80})\)")


def withdrawn(paragraph: str) -> bool:
    head = paragraph.lstrip("\n")[:120]
    aside = PARAGRAPH_ASIDE.match(head)
    if aside:
        return bool(WITHDRAWN.search(aside.group(1)))
    label = PARAGRAPH_LABEL.match(head)
    text = label.group(1) if label else ""
    return bool(WITHDRAWN.search(text)) and (len(text.split()) <= 4 or "(" in text)


def without_withdrawn(body: str) -> str:
    """The text as it now stands: a revised write-up strikes through the cause or the fix it
    first gave ("~~The reconciliation job held row locks~~ **Revised:** the driver upgrade ..."),
    or labels that paragraph superseded, and the reader takes those words as withdrawn."""
    if WITHDRAWN.search(body):
        body = "".join(p for p in PARAGRAPH_SPLIT.split(body) if not withdrawn(p))
    if "~~" not in body:
        return body
    out = []
    for line in STRUCK.sub("\x00", body).split("\n"):
        if "\x00" in line:
            line = line.replace("\x00", "")
            if STRUCK_REMAINS.match(line.strip()):
                continue
        out.append(line)
    return "\n".join(out)


def comments_apart(body: str) -> tuple[str, bool]:
    """A tracker issue saved with its comments, each comment a section of its own ("## Comment by
    hollis"): the investigation goes on there, and the body's "Root cause (if known)" is what was
    known when the issue was opened. With whether the document is such a thread."""
    if len(COMMENT_HEADER.findall(body)) < MIN_COMMENTS:
        return body, False
    return COMMENT_HEADER.sub(lambda m: f"\n## Comment by {m.group(1)}\n", TRACKER_EVENT.sub("", body)), True


# The tracker's own lines between the comments: "**Closed** · @kpetrakis opened this issue on
# Feb 3, 2025 · 7 comments", "@kpetrakis changed the title ...", "@sam closed this as completed".
# What the tracker did, never the incident's story.
TRACKER_EVENT = re.compile(
    r"^[ \t]*(?:\*\*)?(?:open|closed|merged)(?:\*\*)?[ \t]*·[ \t]*\**@?[\w.-]+\**[ \t]+opened[ \t]+this[ \t]+(?:issue|pull\s+request)\b.*$"
    r"|^[ \t]*\**@?[\w.-]+\**[ \t]+(?:closed|reopened|changed[ \t]+the[ \t]+title|(?:added|removed)[ \t]+the\b[^\n]{0,80}\blabels?\b)\b.*$",
    re.I | re.M,
)


def caps_headings(body: str) -> str:
    """Upper-case lines between blank lines that name a field become `##` headings, and so does
    a terse note's bare word over its indented block ("cause" / "  ARP table overflow ...") or
    over its list, as a PDF's table cell comes out ("Resolution" / "- 12:40 new key ...")."""
    lines = body.split("\n")
    for i, line in enumerate(lines):
        text = line.strip()
        if not text or (i and lines[i - 1].strip()):
            continue
        after = lines[i + 1] if i + 1 < len(lines) else ""
        if (CAPS_LINE.match(text) and not after.strip() or BARE_HEADING.match(line) and (after[:1] in (" ", "\t") and after.strip() or after.startswith(("- ", "* ")))) \
                and classify_label(text):
            lines[i] = f"## {text}"
    return "\n".join(lines)


# "fix (07:40)" at a line's start, its text indented under it.
BARE_HEADING = re.compile(r"^[A-Za-z][\w /&'-]{1,40}(?:[ \t]*\([^()\n]{1,30}\))?:?[ \t]*$")


def read_blocks(body: str) -> tuple[list[Block], str, str]:
    """Sections by heading plus label blocks (bold or plain `Label:` lines, key/value table
    rows). Returns (blocks, preamble, first H1 text).

    A section's text leaves out what belongs to another role: sub-sections with a role of their
    own and labelled paragraphs, so a "Detection" or "Lessons learned" part inside a summary
    never reaches the prose searched for the cause and the fix."""
    lines = body.splitlines()
    tokens = _md.parse(body)
    headings = []  # (line, level, text, body start)
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.map:
            headings.append((tok.map[0], int(tok.tag[1]), tokens[i + 1].content.strip(), tok.map[1]))
    # Code fences hide label-looking lines (chat logs, config dumps) from the label scan.
    code_lines: set[int] = set()
    for tok in tokens:
        if tok.type in ("fence", "code_block") and tok.map:
            code_lines.update(range(tok.map[0], tok.map[1]))

    labels = label_blocks(lines, code_lines)
    went_well = any(WENT_WELL.match(text) for _, _, text, _ in headings) or any(WENT_WELL.match(label_text(b.label)) for b in labels)

    def went_wrong_as(text: str) -> str | None:
        # "What went wrong" told as a story is the cause; as a list, or beside "What went
        # well", it is what the response could have done better.
        return "root_cause" if not went_well and not list_items(text) else None

    for b in labels:
        if b.field_name == "went_wrong":
            b.field_name = went_wrong_as(b.text)
    labels = [b for b in labels if b.field_name]
    names = [classify_label(text) or (named_before_colon(text) if level > 1 else None) for _, level, text, _ in headings]
    if names and names[0] and KIND_LINE.match(label_text(headings[0][2])) and names[0] in names[1:]:
        # A report's kind over its particulars ("ROOT CAUSE ANALYSIS" over "Subject: ...") is its
        # letterhead where a section further down has that role ("4. ROOT CAUSE").
        names[0] = None
    # A section runs to the next heading of its level or above: `### 14:05` timeline entries
    # and other sub-headings stay inside it. One pass with a stack of open sections (a scan
    # ahead from each heading is quadratic in a document of thousands of headings). A
    # subsection of an open section's own role ("### Trigger" under "## Root cause") is a part
    # of it, in its place: read apart, the section's own lines came first whatever their order.
    ends = [len(lines)] * len(headings)
    nested: set[int] = set()
    open_sections: list[int] = []
    parent = [-1] * len(headings)
    for idx, (line, level, _, _) in enumerate(headings):
        while open_sections and headings[open_sections[-1]][1] >= level:
            ends[open_sections.pop()] = line
        parent[idx] = open_sections[-1] if open_sections else -1
        if names[idx] and any(names[a] == names[idx] for a in open_sections):
            nested.add(idx)
        open_sections.append(idx)
    # A table's row inside a section of its own role ("| Trigger | ... |" under "Root cause") is
    # a part of that section, in its place (a bold "Root cause:" line there is its conclusion).
    # The section a line is in is the last heading above it.
    starts = [line for line, _, _, _ in headings]
    # A wiki's or a site's name linked to its start page ("# [Ferrow Ops Wiki](/doku.php?id=start)")
    # over the page's own first heading is the site's chrome.
    h1s = [idx for idx, h in enumerate(headings) if h[1] == 1]
    first_h1 = next((idx for idx in h1s if not LINK_ONLY.fullmatch(headings[idx][2].strip())), h1s[0] if h1s else None)

    def within(idx: int) -> str:
        while idx >= 0 and names[idx]:
            idx = parent[idx]
        # The document's title holds everything; a later top-level heading is a part of its own
        # (a digest's "Deep dive: PIR-121 — card authorisations declined", a DOCX's Heading 1).
        return headings[idx][2] if idx >= 0 and (headings[idx][1] > 1 or idx != first_h1) else ""

    for b in labels:
        at = bisect.bisect_right(starts, b.span[0]) - 1
        b.within = within(at)
        role = names[at] if at >= 0 else None
        b.in_own_section = bool(b.field_name) and role == b.field_name
        if role == "impact" and WHAT_BROKE.match(label_text(b.label)):
            # "What broke:" under "Impact" tells what the readers lost, not the cause.
            b.field_name = "impact"
    labels = [b for b in labels if not (b.kind == "table" and b.in_own_section)]
    covered = {i for b in labels for i in range(*b.span)}

    blocks: list[Block] = []
    h1 = ""
    first_heading = headings[0][0] if headings else len(lines)
    for idx, (line, level, text, body_start) in enumerate(headings):
        if idx in nested:
            continue
        if level == 1 and idx == first_h1 and names[idx] is None:
            # A first heading that names a section ("# Summary", "ISSUE SUMMARY") is not the
            # incident's title; the first H1 is, even under a web page's smaller headings
            # (a wiki's space name, a cookie banner).
            h1 = text
        end = ends[idx]
        if level == 1 and idx == 0 and names[idx] is None:
            continue  # the title; its own text becomes the preamble below
        own_role: set[int] = set()  # lines of sub-sections that have a role of their own
        label = text
        for sub in range(idx + 1, len(headings)):
            if headings[sub][0] >= end:
                break
            if sub in nested and names[sub] == names[idx]:
                # Its heading only repeats the role ("Trigger" under "Root cause"); where the
                # section opens on it ("2. Causal analysis" over "2.1 Root cause"), it names
                # where the text came from.
                if label == text and not any(lines[i].strip() for i in range(body_start, headings[sub][0]) if i not in covered and i not in own_role):
                    label = headings[sub][2]
                own_role.update(range(headings[sub][0], headings[sub][3]))
            elif names[sub]:
                own_role.update(range(headings[sub][0], ends[sub]))
        # A heading set in a quote (a panel's "Resolution" in a Confluence page) heads quoted
        # lines: its text is theirs without the quote marks.
        quoted = bool(QUOTE_MARK.match(lines[line]))
        section_text = "\n".join(
            QUOTE_MARK.sub("", lines[i]) if quoted else lines[i] for i in range(body_start, end) if i not in covered and i not in own_role
        )
        section_text = section_body(section_text)
        name = names[idx]
        if name == "went_wrong":
            name = went_wrong_as(section_text)
        blocks.append(Block(label, section_text, "section", name, within=within(parent[idx])))
    preamble_end, title_lines = first_heading, range(0)
    if h1 and headings and headings[0][1] == 1:
        # Text right under the H1 (before the next heading) is the document's own preamble.
        preamble_end = headings[1][0] if len(headings) > 1 else len(lines)
        title_lines = range(headings[0][0], headings[0][3])
    preamble = "\n".join(
        lines[i] for i in range(preamble_end) if i not in covered and i not in title_lines
    ).strip()
    blocks.extend(labels)
    return blocks, preamble, h1


# `> ` quote markers: callouts and panels render as quotes, and their labels still count.
QUOTE_MARK = re.compile(r"^[ \t]*(?:>[ \t]?)+")
# "Root cause: ..." without bold, optionally bulleted or after an emoji ("🔥 Root cause:"); its
# qualifier may hold a time, whose colon is not the label's ("Actual cause (found 14:35): ...").
PLAIN_LABEL = re.compile(r"^(\s*)(?:[-*+]\s+)?(?:[^\w\s*`\[]{1,4}\s*)?(TL;\s?DR|[A-Za-z][A-Za-z /&'()-]{1,48}?(?:[ \t]*\([^()\n:]{0,20}\d{1,2}:\d{2}[^()\n:]{0,12}\))?)\s*:(?:\s+(.*))?$", re.I)
# "*Cause:* the token code ...", "_Fix_: ...": a label in italics, as a changelog entry writes it.
ITALIC_LABEL = re.compile(r"^(\s*)(?:[-*+]\s+)?([*_])([A-Za-z][A-Za-z /&'()-]{1,40}?)(?::\2|\2:)(?:\s+(.*))?$")
TABLE_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def label_line(line: str) -> tuple[int, str, str, str] | None:
    """(indent, label, rest of the line, field) for a line that opens a labelled paragraph."""
    italic = ITALIC_LABEL.match(line)
    if italic:
        indent, label, rest = italic.group(1), italic.group(3), italic.group(4)
    else:
        pair = BOLD_PAIR.match(line)
        m = pair or BOLD_LABEL.match(line) or PLAIN_LABEL.match(line) or DASH_LABEL.match(line)
        if not m:
            return runin_label(line)
        indent, label, rest = m.group(1), m.group(2), " ".join(filter(None, m.groups()[2:4])) if pair else m.group(3)
    name = classify_label(label)
    if name is None:
        return None
    return len(indent), label.strip(), (rest or "").strip(), name


# A run-in heading, as a printed report sets one: the paragraph's first words, then a full stop
# ("Why it happened. Osprey sends all SMS through one carrier ...").
RUNIN_LABEL = re.compile(r"^([ \t]*)([A-Z][A-Za-z' /&-]{2,50}?)\.[ \t]+(?=[A-Z])(\S.*)$")


def runin_label(line: str) -> tuple[int, str, str, str] | None:
    """A run-in heading's (indent, label, rest, field), for the cause's and the fix's names of two
    words or more only: any other short sentence reads the same way ("Recovery. The data ...")."""
    m = RUNIN_LABEL.match(line)
    name = classify_label(m.group(2)) if m and 2 <= len(m.group(2).split()) <= 8 else None
    return (len(m.group(1)), m.group(2).strip(), m.group(3).strip(), name) if name in ("root_cause", "fix") else None


def quote_title(lines: list[str], scan: list[str], i: int) -> str | None:
    """The field a quote's first line names where that line is the quote's title ("> Facilitator's
    summary card (pinned)" over the card's text, as a board or a callout exports it)."""
    if not QUOTE_MARK.match(lines[i]) or i and QUOTE_MARK.match(lines[i - 1]) or i + 1 >= len(lines) or not QUOTE_MARK.match(lines[i + 1]):
        return None
    title = scan[i].strip()
    return classify_label(title) if len(title.split()) <= 8 and not title.endswith((".", ",", ";", ":")) else None


def runs_on(prev: str, line: str) -> bool:
    """Whether `line` goes on with the sentence that `prev` left unfinished (hard-wrapped prose
    whose next line happens to start "fault: ..."), rather than opening a plain label."""
    tail = prev.rstrip()
    return (
        line[:1].islower() and tail[-1:].isalpha() and tail[-1:].islower() and not tail.lstrip().startswith(("|", "#"))
        and not LIST_ITEM.match(prev) and not PLAIN_LABEL.match(prev) and not MID_LINE_LABEL.search(prev)
    )


TODO_NOTE = re.compile(r"^\W*todos?\b", re.I)


def opens_cause_or_fix(scan: list[str], i: int) -> bool:
    """Whether line i is the first text under a Root cause or Fix heading."""
    j = i - 1
    while j >= 0 and not scan[j].strip():
        j -= 1
    heading = MD_HEADING.match(scan[j]) if j >= 0 else None
    return bool(heading) and classify_label(heading.group(2)) in ("root_cause", "fix")


def table_cells(line: str) -> list[str]:
    """A markdown table row's cells, stripped; [] for a line that is no table row."""
    text = line.strip()
    return [c.strip() for c in TABLE_CELL_SPLIT.split(text.strip("|"))] if text.startswith("|") else []


def cell_fields(cells: list[str]) -> list[str | None]:
    """The field each of a row's cells names ("Root cause" -> root_cause), or None."""
    return [classify_label(strip_markdown(c).strip()) if c else None for c in cells]


# A scorecard's score: "4", "3/5", "2 / 10", or a RAG status.
SCORE_CELL = re.compile(r"\d{1,2}(?:\s*/\s*\d{1,2})?|red|amber|green", re.I)


def table_labels(line: str) -> list[tuple[str, str, str]]:
    """A key/value table row's fields: `| Root cause | ... |` gives one (label, field, value);
    a form's row of two pairs (`| Severity | SEV2 | Status | Draft |`, as Word and Confluence
    templates lay out their details table) gives one per pair whose label names a field."""
    cells = table_cells(line)
    if len(cells) < 2 or not cells[0] or len(cells) == 3 and SCORE_CELL.fullmatch(strip_markdown(cells[1]).strip()):
        # A review's scorecard (`| Diagnosis | 5 | Error message named the date |`) rates how
        # each stage of the response went: the stage's name is no field.
        return []
    names = cell_fields(cells)
    pairs = [(0, len(cells))]
    if len(cells) >= 4 and len(cells) % 2 == 0 and any(names[k] and not names[k + 1] and cells[k + 1] for k in range(2, len(cells), 2)):
        pairs = [(k, k + 2) for k in range(0, len(cells), 2)]
    out = []
    for start, end in pairs:
        values = [k for k in range(start + 1, end) if cells[k] and not TABLE_RULE.fullmatch(cells[k])]
        # A header row of field names (`| Root cause | Fix |`) labels columns, not a value.
        if names[start] is None or not values or all(names[k] for k in values):
            continue
        value = " ".join(cells[k] for k in values).replace("\\|", "|")
        out.append((strip_markdown(cells[start]).strip(), names[start], value))
    return out


def column_header(scan: list[str], i: int) -> bool:
    """Whether line i heads a table of records ("| Ref | Date | Title | Sev |" over a rule and
    rows of incidents): its cells name columns, not a form's fields beside their values. A form
    laid out in pairs names a field in its next row too ("| Date | 2024-04-09 | Start | 07:52 |")."""
    cells = table_cells(scan[i])
    if len(cells) < 4 or i + 2 >= len(scan) or not TABLE_RULE_LINE.fullmatch(scan[i + 1].strip()):
        return False
    below = table_cells(scan[i + 2])
    return len(below) == len(cells) and not any(cell_fields(below))


def table_section(scan: list[str], i: int) -> Block | None:
    """A grid's section row: its first cell names the cause or the fix and the rest of the row
    is empty, as Word merges a row across a table ("| **3 Fix** |  |  |"). The rows under it,
    whatever their own names ("Restore", "Permanent"), are the section's text, up to the next
    such row or a row that names another field."""
    cells = table_cells(scan[i])
    name = classify_label(strip_markdown(cells[0]).strip()) if cells and cells[0] and not any(cells[1:]) else None
    if name not in ("root_cause", "fix") or i + 1 >= len(scan) or not scan[i + 1].strip().startswith("|"):
        return None
    items, j = [], i + 1
    while j < len(scan) and (row := table_cells(scan[j])):
        filled = [c for c in row if c]
        own = classify_label(strip_markdown(row[0]).strip()) if row[0] else None
        if row[0] and not any(row[1:]) or own not in (None, name):
            break
        # A header row repeated under each section ("| **Topic** | **What happened** |") and a
        # rule line say nothing.
        if not all(TABLE_RULE.fullmatch(c) or BOLD_ONLY.fullmatch(c) for c in filled):
            label, rest = strip_markdown(row[0]).strip(), " ".join(c for c in row[1:] if c)
            items.append(f"{label}: {rest}" if label and rest else label or rest)
        j += 1
    text = "\n".join(items).replace("\\|", "|")
    return Block(strip_markdown(cells[0]).strip(), text, "table", name, (i, j)) if text else None


def history_row(scan: list[str], i: int) -> tuple[list[Block], int] | None:
    """An incident history kept as a table whose columns name the cause and the fix ("| Date |
    Ticket | What happened | Cause | Resolution |"): the row told in full is the incident the
    page writes up (a runbook's one incident among one-liners), its cause and fix cells the
    fields. Returns them and the table's end (the rest of it is read no further), or None
    where line i heads no such table."""
    cells = table_cells(scan[i])
    names = cell_fields(cells)
    if "root_cause" not in names or "fix" not in names or i + 2 >= len(scan) or not TABLE_RULE_LINE.fullmatch(scan[i + 1].strip()):
        return None
    cause, fix = names.index("root_cause"), names.index("fix")
    j, best, most = i + 2, None, 0
    while j < len(scan) and (row := table_cells(scan[j])):
        told = len(" ".join(row[k] for k in (cause, fix) if k < len(row)).split())
        if told > most:
            best, most = (j, row), told
        j += 1
    if best is None or len(best[1]) <= max(cause, fix):
        return [], j
    at, row = best
    name = strip_markdown(row[0]).strip()
    fields = [(cause, "root_cause"), (fix, "fix")]
    if "summary" in names and row[names.index("summary")]:
        # What happened, in the row's first sentence, names the incident.
        fields.append((names.index("summary"), "title"))
    return [
        Block(f"{strip_markdown(cells[k]).strip()} ({name})", (sentences(row[k]) or [row[k]])[0] if field == "title" else row[k].replace("\\|", "|"), "table", field, (at, j))
        for k, field in fields if row[k]
    ], j


# A meeting's discussion table: the column naming what was discussed ("Item", "Agenda item",
# "Topic") and the one holding what was said ("Notes", "Discussion", "Outcome").
AGENDA_ITEM = re.compile(r"(?:agenda\s+)?(?:items?|topics?|questions?)", re.I)
AGENDA_NOTES = re.compile(r"notes|discussion|outcomes?|what\s+was\s+said", re.I)


def agenda_rows(scan: list[str], i: int) -> list[Block]:
    """A meeting's minutes as a table ("| Time | Item | Who | Notes |") headed at line i: a row
    whose item names a field ("What fixed it", "Root cause") holds it in its notes, as a section
    would."""
    cells = [strip_markdown(c).strip() for c in table_cells(scan[i])]
    if len(cells) < 2 or i + 2 >= len(scan) or not TABLE_RULE_LINE.fullmatch(scan[i + 1].strip()):
        return []
    item = next((k for k, c in enumerate(cells) if AGENDA_ITEM.fullmatch(c)), None)
    notes = next((k for k, c in enumerate(cells) if AGENDA_NOTES.fullmatch(c)), None)
    if item is None or notes is None:
        return []
    blocks, j = [], i + 2
    # Up to the table's end or the next header's rule: a row is read under one header only, or
    # a table of header rows would be read once for each.
    while j < len(scan) and (row := table_cells(scan[j])) and not TABLE_RULE_LINE.fullmatch(scan[j].strip()):
        label = strip_markdown(row[item]).strip() if len(row) > max(item, notes) else ""
        field = classify_label(label) if label and row[notes] else None
        if field:
            blocks.append(Block(label, row[notes].replace("\\|", "|"), "table", field, (j, j + 1)))
        j += 1
    return blocks


BOLD_ONLY = re.compile(r"\*\*[^*\n]{1,60}\*\*")
ASIDE_ONLY = re.compile(r"\s*\([^()\n]{0,80}\)\s*:?\s*")


def label_blocks(lines: list[str], code_lines: set[int]) -> list[Block]:
    scan = [QUOTE_MARK.sub("", line) for line in lines]
    out = []
    # Per field, the line where its last block ended: a label nested inside a block of the
    # same field is already part of that block's text. Scanning it again would repeat the
    # text and, for a staircase of nested labels, take time quadratic in the lines.
    field_end: dict[str, int] = {}
    # The end of the last table read for a services column: its rows are not searched again
    # (a table of thousands of header rows would be rescanned from each).
    table_end = 0
    # Bold labels alone on their line, each but the last: the next one bounds its section.
    alone_bold = [i for i, line in enumerate(scan) if i not in code_lines and (m := BOLD_LABEL.match(line)) and not m.group(3).strip() and not LIST_ITEM.match(line)]
    heading_like = set(alone_bold[:-1])
    section_end = 0
    for i, line in enumerate(scan):
        if i in code_lines or i < section_end:
            continue
        if section := table_section(scan, i):
            out.append(section)
            section_end = section.span[1]
            continue
        if history := history_row(scan, i):
            out += history[0]
            section_end = history[1]
            continue
        # (Its rows are read on as any others: a note may hold a label of its own, "Root cause: ...".)
        out += agenda_rows(scan, i)
        rows = table_labels(line)
        if column_header(scan, i):
            # A records table's header names its columns, not fields with their values: only a
            # services or actions column is read from it (its rows, below).
            rows = [r for r in rows if r[1] in ("services", "action_items")]
        row = rows[0] if len(rows) == 1 else None
        if row and row[1] == "services" and i >= table_end and i + 1 < len(scan) and TABLE_RULE_LINE.fullmatch(scan[i + 1].strip()) \
                and len((second := table_cells(line)[1]).split()) <= 3 and "," not in second:
            # "| Service | Effect |" over rows of services is a column header: the services are
            # down its first column. (A key/value table's first row is a header too, once
            # converted from HTML: there the rows below name fields, and its second cell is a
            # list of services, not a column's name.)
            j = i + 2
            while j < len(scan) and scan[j].strip().startswith("|"):
                j += 1
            table_end = j
            names = [strip_markdown(table_cells(scan[k])[0]).strip() for k in range(i + 2, j)]
            if names and not any(classify_label(n) for n in names):
                out.append(Block(row[0], "\n".join(f"- {n}" for n in names if n), "table", "services", (i, j)))
                continue
        if rows:
            out += [Block(label, value, "table", name, (i, i + 1)) for label, name, value in rows]
            continue
        found = label_line(line)
        mid = MID_LINE_LABEL.search(line, 0, MID_LINE_REACH + 20) if not found else None
        if mid and mid.start() <= MID_LINE_REACH:
            found = (indent_width(line), mid.group(1), line[mid.end():].strip(), classify_label(mid.group(1)))
        trailing = TRAILING_LABEL.search(line) if not found and line.rstrip().endswith(":") else None
        if trailing and classify_label(trailing.group(1)) == "root_cause":
            # "... not the cause. What actually happened:" over the paragraph that tells it. (A
            # fix's "... restored by the manual run. The permanent fix:" goes on in its section.)
            found = (indent_width(line), trailing.group(1), "", "root_cause")
        quote = not found and quote_title(lines, scan, i)
        if quote:
            found = (0, scan[i].strip(), "", quote)
        if not found:
            continue
        indent, label, rest, name = found
        if i < field_end.get(name, 0) or name == "root_cause" and is_subject_line(rest):
            continue
        if i and runs_on(scan[i - 1], line):
            continue  # "... the scanners were at" / "fault: we had pushed ...": a sentence wrapped
        if name == "action_items" and TODO_NOTE.match(label) and opens_cause_or_fix(scan, i):
            # "TODO (Marek): rewrite once the vendor replies" as all a Root cause section holds:
            # the section still to be written, not a list of follow-ups.
            continue
        is_bullet = bool(re.match(r"^\s*[-*+]\s", line))
        alone = not (rest or "").strip() and not is_bullet
        if ASIDE_ONLY.fullmatch(rest or ""):
            rest = ""  # "**Services impacted** (as recorded on the ticket):" announces what follows
        body = [rest] if rest else []
        has_text = bool(rest.strip())
        j = i + 1
        while j < len(scan):
            nxt = scan[j]
            if quote and not QUOTE_MARK.match(lines[j]):
                break  # a titled quote's section is the quote
            if quote and not nxt.strip():
                body.append("")
                j += 1
                continue
            if not nxt.strip() and not has_text:
                # `- **Impact**:` with its text as the next paragraph(s), not indented.
                body.append("")
                j += 1
                continue
            if not nxt.strip():
                # A blank line ends a plain label paragraph unless an indented continuation follows,
                # or the label stands alone as a heading does (a bold paragraph for a heading, as
                # Google Docs and Confluence export them) and a later one ends its section.
                k = j + 1
                while k < len(scan) and not scan[k].strip():
                    k += 1
                if k < len(scan) and (indent_width(scan[k]) > indent and (is_bullet or LIST_ITEM.match(scan[k])) or alone and i in heading_like):
                    body.extend([""] * (k - j))  # the whole blank run at once, not line by line
                    j = k
                    continue
                break
            if nxt.lstrip().startswith("|") and not has_text:
                # "**Timeline**" over a table (a document exported with bold paragraphs for
                # headings): the table is the label's text.
                while j < len(scan) and scan[j].lstrip().startswith("|"):
                    body.append(scan[j])
                    j += 1
                break
            if nxt.lstrip().startswith(("#", "|")) or mid and (LOG_ENTRY.match(nxt) or body[-1].rstrip().endswith((".", "!", "?"))):
                break  # a note in a line goes on only where its sentence is wrapped
            if indent_width(nxt) <= indent and (BOLD_LABEL.match(nxt) or label_line(nxt) or LIST_ITEM.match(nxt) and is_bullet):
                break
            if rest and indent_width(nxt) <= indent and (key := PLAIN_LABEL.match(nxt)) and key.group(2)[:1].isupper() and key.group(3):
                # A header of "Key: value" lines (a ticket export's "Resolution: Fixed" over
                # "Labels: ..."): each line is its own field, not the one above's continuation.
                break
            body.append(nxt)
            has_text = True
            j += 1
        field_end[name] = j
        text = dedent("\n".join(body))
        for label, name, text in labels_run_on(label, name, text):
            out.append(Block(label, text.strip(), "label", name, (i, j)))
    return out


# "Cause: ... rejected every request. Fix: policy order restored ...": a ticket's note gives the
# next field after a sentence's end, on the same line or the lines it wraps onto.
# A log line's own note: "timeouts gone. RESOLVED. cause: stale ARP entry. fix: ARP flush".
RUN_ON_LABEL = re.compile(r"(?<=[.!?])[ \t]*\n?[ \t]*(?:\*\*)?([A-Za-z][A-Za-z]*(?:[ /&-][A-Za-z]+){0,3})(?:\*\*)?:(?:\*\*)?[ \t]+(?=\S)")
# Where a line that opens on no label gives the cause or the fix after a sentence's end, a
# few words in ("Resolving. Root cause: ...", a log line's "timeouts gone. RESOLVED. cause: ...");
# its text ends with its sentence, where the line does, or at the log's next entry. Further into
# a line, it is a sentence of a story.
MID_LINE_LABEL = re.compile(r"(?<=[.!?])[ \t]+((?:root[ \t]+)?cause|fix|resolution)[ \t]*:[ \t]+(?=\S)", re.I)
MID_LINE_REACH = 80
# A sentence that ends its line on a label: a reply's "... a symptom, not the cause. What actually
# happened:", the paragraph under it the label's text.
TRAILING_LABEL = re.compile(r"(?<=[.!?])[ \t]+([A-Z][\w' /-]{2,60}):[ \t]*$")
LOG_ENTRY = re.compile(r"^\s*\[?(?:\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2})")


def labels_run_on(label: str, name: str, text: str) -> list[tuple[str, str, str]]:
    """A label's text, and each label of another field written on after it in the same
    paragraph, apart: (label, field, text)."""
    out = []
    at = 0
    for m in RUN_ON_LABEL.finditer(text):
        field = classify_label(m.group(1))
        if field is None or field == name or field not in RUN_ON_FIELDS:
            continue
        out.append((label, name, text[at:m.start()]))
        label, name, at = m.group(1), field, m.end()
    return [*out, (label, name, text[at:])]


RUN_ON_FIELDS = frozenset({"root_cause", "fix", "impact", "action_items"})


# "Timeline (CET)", "Root Cause(s)", "Why did it happen? (5 whys)", "Root cause (IC's summary)":
# the same section. Not a state of the work: "Immediate actions (completed)" is the fix, where
# "Immediate actions" are action items. Each word is followed by spaces, so that a long unclosed
# "(aaaa..." has one reading, not one per way of splitting it.
LABEL_QUALIFIER = re.compile(r"\((?![^()]*\b(?:completed|done|planned|in[\s-]progress|ongoing)\b)(?:[^()\s]+\s+){0,6}[^()\s]+\s*\)$", re.I)
# A slide's part of a section told over several: "Why (1/2) — the trigger", "Timeline [2/3]".
SLIDE_PART = re.compile(r"\s*[(\[]\s*\d{1,2}\s*/\s*\d{1,2}\s*[)\]]")
# A formal report's part before the section's name: "Section B. Root cause", "Part 2: Timeline",
# "Annex A - Actions", "C. Immediate remediation", "IV. Resolution".
REPORT_PART = re.compile(r"^(?:(?i:section|part|chapter|annex|appendix|schedule)\s+[A-Z0-9]{1,4}(?:\.\d{1,2})*\s*[.:)–—-]?\s+|(?:[A-H]|[IVX]{1,4})[.)]\s+)(?=[A-Z])")


# The retrospective's other questions, beside which "What went wrong" is about the response.
WENT_WELL = re.compile(r"^[\W\d_]*(?:(?:what|things\s+that)\s+went\s+(?:well|right)|where\s+we\s+got\s+lucky)\b", re.I)


WHAT_BROKE = re.compile(r"^what\s+broke$", re.I)


EIGHT_D = re.compile(r"^D[1-8](?:\s*[-–—:.)]\s*|\s+)(?=[A-Z])")
# A deck's slide number before the slide's title: "Slide 3 — Cause", "Slide 4: Fix".
SLIDE_NUMBER = re.compile(r"^slide\s+\d{1,3}\s*[-–—:|.]\s*(?=\w)", re.I)


INTERVIEW_QUESTION = re.compile(r"^(?:Q|Question)[ \t]*\d{0,2}[ \t]*[:.)][ \t]*(?=\w)")


LINK_ONLY = re.compile(r"\[[^\[\]\n]{1,120}\]\([^()\s]{0,400}\)")


def label_text(label: str) -> str:
    """A heading or label as classify_label reads it: no numbering, emoji, markup or qualifier."""
    # "3. Root cause", "🔥 Root cause", "**Root cause**:", "[Root cause](#root-cause)"
    text = TEXT_LINK.sub(r"\1", label)
    text = REPORT_PART.sub("", re.sub(r"^[\W\d_]+", "", text))
    text = INTERVIEW_QUESTION.sub("", text)  # an interview's "Q: How was power restored?"
    text = EIGHT_D.sub("", text)  # an 8D report's discipline: "D4 - Root cause analysis"
    text = SLIDE_PART.sub("", SLIDE_NUMBER.sub("", text))
    text = re.sub(r"[*_`:#]+", "", text).strip().rstrip("?.").strip()
    # A form's mark of a mandatory section, "Root cause (*)", is empty brackets by now.
    text = re.sub(r"\s*\(\s*\)", "", text)
    text = without_trailing_symbols(text)  # a retro board's "Mad 😡", "Went well 🎉"
    text = without_trailing_arrow(text)  # "resolution ->": a terse note's arrow to what follows
    qualifier = LABEL_QUALIFIER.search(text)
    return (text[:qualifier.start()].rstrip() if qualifier else text) or text


def without_trailing_symbols(text: str) -> str:
    """The text without the emoji (and their joiners and variation selectors) it ends on."""
    end = len(text)
    while end and (text[end - 1].isspace() or unicodedata.category(text[end - 1]) in ("So", "Sk", "Mn", "Cf")):
        end -= 1
    return text[:end] or text


ARROWS = ("->", "=>", "→", ">", "–", "—", "-")


def without_trailing_arrow(text: str) -> str:
    """The text without the arrows it ends on and the space before them. Read back from the end:
    a pattern anchored at the end retries at every space of a long run."""
    kept = text
    while kept.endswith(ARROWS):
        kept = kept[:-2] if kept.endswith(("->", "=>")) else kept[:-1]
    return kept.rstrip() if kept != text else text


# A journal's order told beside its name, whatever the name ("Action (newest first)" in a
# service desk's call, "Comments (oldest first)"): dated entries, the story as it went.
ENTRY_ORDER = re.compile(r"\(\s*(?:newest|oldest|latest|earliest|most\s+recent)\s+first\s*\)\W*$", re.I)


def classify_label(label: str) -> str | None:
    if ENTRY_ORDER.search(label):
        return "timeline"
    text = label_text(label)
    name = _field_of(text)
    correction = CORRECTION_OF.match(text) if name is None else None
    corrected = _field_of(label_text(correction.group(1))) if correction else None
    if corrected in ("root_cause", "fix"):
        return corrected
    head, comma, aside = text.partition(",")
    if name is None and comma and len(aside.split()) <= 3:
        # "Root cause, plain version", "Fix, for now": the field, then the writer's aside.
        name = _field_of(head.strip())
    if name is None and len(text) <= 80:
        # "Mitigation and resolution", "Fix / workaround": two names of one field are that field.
        # So is one name beside a word or two that name no field: the team's own language
        # ("Orsak / Cause", "Root cause / Причина") or a synonym ("Fix / Solution"); and a name
        # with an aside after it ("The trigger and the conditions around it").
        pieces = NAME_DASH.split(text)
        if any(KIND_LINE.match(piece) for piece in pieces) or not _field_of(pieces[0]):
            # "Root Cause Analysis — Barrier Analysis", "RCA – Gradebook slow": the document's
            # kind and its name, a title rather than two names of one section; and a name the
            # section's comes after ("Parcelwing Platform — Incident Log"), a page's title.
            pieces = [text]
        parts = [(part, _field_of(part)) for piece in pieces for part in JOINED_NAMES.split(piece)]
        named = {field for _, field in parts if field}
        # Not where the name is of a section the cause and the fix are never looked for in
        # (follow-ups, impact, lessons, status, a date): there the other words often name a second
        # topic that holds them.
        unnamed = [part for part, field in parts if not field]
        if len(named) == 1 and (not unnamed or named <= COMPANION_FIELDS and all(
            len(part.split()) <= (5 if parts[0][1] else 2) for part in unnamed
        )):
            name = named.pop()
    return name


def named_before_colon(heading: str) -> str | None:
    """A section heading's name before what it found ("The actual cause: a flapping transit
    link"). Not a title's ("RCA: invoice emails sent twice" over the whole page)."""
    head, colon, _ = heading.partition(":")
    name = _field_of(label_text(head)) if colon else None
    # Only the cause and the fix: "Background: how power reaches your server" is a story's
    # chapter, not the system section the word alone would head.
    return name if name in ("root_cause", "fix") else None


COMPANION_FIELDS = frozenset({"root_cause", "fix", "services", "timeline", "title"})
JOINED_NAMES = re.compile(r"\s+(?:and|&)\s+|\s*/\s*", re.I)
# A slide's title after its section's name: "Why — the trigger", "Why (2/2) — why it hurt the DB".
NAME_DASH = re.compile(r"\s+[—–]\s+")


def _field_of(text: str) -> str | None:
    text = SECTION_NAMES_ABROAD.get(text.lower(), text)
    return next((name for name, pattern in FIELD_LABELS.items() if pattern.match(text)), None)


# A European team's section names ("Ursache", "Cause racine", "Oorzaak", "Solución"), where the
# body is often English: each as the English name it stands for, whole names only.
SECTION_NAMES_ABROAD = {
    name: english
    for english, names in {
        "root cause": (
            "ursache", "ursachen", "grundursache", "fehlerursache", "hauptursache", "ursachenanalyse", "störungsursache",
            "cause racine", "causes racines", "cause première", "cause profonde", "causes profondes", "analyse des causes",
            "causa", "causas", "causa raíz", "causa raiz", "análisis de causa raíz", "causa principale", "causa radice",
            "oorzaak", "oorzaken", "grondoorzaak", "hoofdoorzaak", "oorzaakanalyse", "orsak", "grundorsak",
        ),
        "resolution": (
            "lösung", "loesung", "behebung", "fehlerbehebung", "störungsbehebung", "wiederherstellung",
            "sofortmaßnahme", "sofortmaßnahmen", "sofortmassnahme", "sofortmassnahmen",
            "résolution", "rétablissement", "correctif", "remédiation", "solución", "resolución", "mitigación",
            "restablecimiento", "oplossing", "herstel", "soluzione", "risoluzione", "ripristino", "solução", "resolução",
            "lösning", "åtgärd",
        ),
        "summary": (
            "zusammenfassung", "kurzbeschreibung", "résumé", "synthèse", "resumen", "samenvatting", "riepilogo",
            "sommario", "resumo", "sammanfattning",
        ),
        "timeline": (
            "zeitlicher ablauf", "zeitverlauf", "zeitleiste", "ablauf", "chronologie", "cronología", "cronologia",
            "línea de tiempo", "tijdlijn", "tidslinje",
        ),
        "impact": ("auswirkung", "auswirkungen", "impacto", "impatto", "gevolgen", "påverkan"),
        "countermeasures": (
            "maßnahmen", "massnahmen", "folgemaßnahmen", "folgemassnahmen", "nächste schritte", "actions correctives",
            "plan d'action", "acciones", "acciones correctivas", "próximos pasos", "vervolgacties", "acties",
            "actiepunten", "azioni correttive", "ações corretivas", "åtgärder",
        ),
        "affected services": (
            "betroffene systeme", "betroffene dienste", "services impactés", "services affectés", "servicios afectados",
            "sistemas afectados", "getroffen diensten", "getroffen systemen",
        ),
        "detection": ("erkennung", "entdeckung", "détection", "detección", "detectie"),
        "lessons learned": ("erkenntnisse", "leçons apprises", "enseignements", "lecciones aprendidas", "geleerde lessen", "lezioni apprese"),
    }.items()
    for name in names
}


def dedent(text: str) -> str:
    rows = text.splitlines()
    widths = [indent_width(r) for r in rows if r.strip()]
    cut = min(widths) if widths else 0
    return "\n".join(r[cut:] if len(r) >= cut else r.strip() for r in rows)


# -- field values ------------------------------------------------------------------------------


def section_body(text: str) -> str:
    """A section's lines without the form's guidance, the rules under them (RULE_LINE) and the
    indent they share (a plain-text form's fields sit three spaces in: its list's first item is
    no less an item than the rest)."""
    lines = BRACKET_GUIDANCE.sub("", text).rstrip().split("\n")
    while lines and (RULE_LINE.fullmatch(lines[-1]) or not lines[-1].strip()):
        lines.pop()
    return dedent("\n".join(lines)).strip()


# A template's blank left in: "[SERVICE]", "[NAME / ROLE]".
TEMPLATE_BLANK = re.compile(r"\[[^\[\]\n]{0,60}\]")
# A form's guidance in angle brackets beside its label: "SERVICES HIT: <<list services, use the
# names from the service catalogue>>", "<enter the affected systems>".
ANGLE_GUIDANCE = re.compile(r"<<[^<>\n]{1,200}>>|<(?:list|describe|name|enter|insert|fill|add)\b[^<>\n]{0,200}>", re.I)
# A form's own guidance left in under its heading, in brackets: "[What caused the incident? If
# not yet known, write UNKNOWN.]", "[List every service that was degraded.]".
BRACKET_GUIDANCE = re.compile(
    r"^[ \t]*\[(?=[^\[\]\n]{0,200}\?|(?:list|describe|include|complete|explain|summari[sz]e|provide|give|state|fill\s+in|insert|enter)\b)[^\[\]]{1,400}\][ \t]*$",
    re.M | re.I,
)
# A template's guidance for the writer: a whole line in italics that asks a question
# ("_What was the underlying cause? Not the symptom._").
# (The first run stops at the first `?`: two runs that could both take a `?` are quadratic.)
TEMPLATE_GUIDANCE = re.compile(r"^[ \t]*([_*])[^_*\n?]*\?[^_*\n]*\1[ \t]*$", re.M)


def clean_field(text: str) -> str:
    """A section's text, or '' when it is only template placeholders."""
    if not text:
        return ""
    stripped = strip_markdown(PLACEHOLDER.sub(" ", TEMPLATE_GUIDANCE.sub(" ", text)))
    words = re.findall(r"[A-Za-z]{3,}", stripped)
    if len(words) < 4:
        return ""
    if UNKNOWN_CAUSE.search(text) and len(words) < 25:
        return ""
    # A table with an empty header row ("| | |" over "|---|---|") opens on no text.
    lines = text.strip().split("\n")
    while lines and TABLE_RULE_LINE.fullmatch(lines[0]):
        lines.pop(0)
    return "\n".join(lines).strip()


# Patterns over untrusted text are written to run in linear time: no quantified class that
# can also match what follows it, and no line-start `\s*` that runs on across blank lines.
# Link text excludes `[` and a target excludes `(`, so an unclosed `[`, `![` or `](` is given
# up at the next one instead of scanning to the end of the text from each of them.
IMAGE_LINK = re.compile(r"!\[[^\[\]]*\]\([^()]*\)")
TEXT_LINK = re.compile(r"\[([^\[\]]*)\]\([^()]*\)")
QUOTE_LINE = re.compile(r"^[ \t]*>+[ \t]?", re.M)
LIST_MARK = re.compile(r"^[ \t]*(?:[-+]|\d+[.)])\s+", re.M)
TABLE_RULE_LINE = re.compile(r"^[-:| \t\r\f\v]+$", re.M)


def strip_markdown(text: str) -> str:
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = IMAGE_LINK.sub(" ", text)
    text = TEXT_LINK.sub(r"\1", text)
    text = re.sub(r"[*`]+", "", text)
    # Underscores that open or close emphasis, not the ones inside a name (`max_connections`).
    text = re.sub(r"(?<![A-Za-z0-9])_+|_+(?![A-Za-z0-9])", "", text)
    text = QUOTE_LINE.sub("", text)
    text = LIST_MARK.sub("", text)
    text = TABLE_RULE_LINE.sub("", text)
    return text


SENTENCE_END = re.compile(
    r"(?<=[.!?])(?<!\s\d\.)(?<!\s\d\d\.)(?<!\bi\.e\.)(?<!\be\.g\.)(?<!\b[Aa]pprox\.)(?<!\bca\.)(?<!\bincl\.)(?<!\bvs\.)"
    r"\s+(?=[A-Z0-9\[(\"'])"
)


def sentences(text: str) -> list[str]:
    # One clause per line ("semantic line breaks"): a line that goes on in lower case, not as a
    # list item, continues the sentence above it, inside a quote ("> ...") too.
    text = re.sub(r"(?m)^[ \t]*(?:>[ \t]?)+", "", text or "")
    # So does one that opens on a quoted word ('... not looking for a single' / '"root cause" or a person').
    text = re.sub(r"(?<=[\w,;])[ \t]*\n[ \t]*(?=[a-z(]|`[a-z]|[\"“'‘][a-z])", " ", text)
    # A hard-wrapped paragraph goes on at a capital too ("... see when they are out of" /
    # "Wi-Fi coverage."): a long line that stops mid-sentence, and a next line that opens on a
    # word, not a label, a list item, a heading or a time.
    text = unwrapped(text)
    plain = strip_markdown(text)
    out = []
    for para in re.split(r"\n\s*\n|\n(?=\s*\S)", plain):
        para = " ".join(para.split())
        if not para or para.startswith("|"):
            continue
        # "On 5. January": a day number with its period does not end a sentence, nor does "i.e." or "e.g.",
        # or a form's "approx. 02:14".
        out.extend(s.strip() for s in SENTENCE_END.split(para) if s.strip())
    return out


# A wrapped line runs on: at least this long (editors wrap at 72 to 100), ending on a word or a
# comma; the next line opens on a capitalised word that is no label ("Severity:").
WRAP_CHARS = 60
WRAPPED_END = re.compile(r"[\w,;]$")
# Or one word ends the sentence there ("... It expired at 00:00 UTC on 8" / "January. It was ...").
WRAPPED_ON = re.compile(r"^[ \t]*[A-Z][\w'’-]*(?:[ \t,]|\.(?:[ \t]|$))")


# "... Relaycast cleared their backlog at" / "19:10, and we moved ...": a line that stops on a word
# a time follows, over a line that opens on that time, is one sentence, not a timeline's entry.
DANGLING = re.compile(r"\s(?:at|from|until|till|by|to|since|around|about|before|after|between|and)$")
TIME_ON = re.compile(r"^[ \t]*(?:\d{1,2}:\d\d|\d{4}-\d\d-\d\d)\b")


def unwrapped(text: str) -> str:
    """Lines of a hard-wrapped paragraph joined where a sentence runs on at a capital."""
    out: list[list[str]] = []  # each output line as its parts: joining as we go is quadratic
    width = 0
    in_code = False  # inside a `code span` the line above left open ("`backfill -s" / "2024-03-31`")
    for line in text.split("\n"):
        last = out[-1][-1].rstrip() if out else ""
        if in_code and line.strip() or width >= WRAP_CHARS and WRAPPED_END.search(last) and WRAPPED_ON.match(line) or DANGLING.search(last) and TIME_ON.match(line):
            out[-1][-1] = last
            out[-1].append(line.strip())
            width += len(line)
        else:
            out.append([line])
            width = len(line.rstrip())
            in_code = False
        in_code ^= line.count("`") % 2 == 1 and "```" not in line
    return "\n".join(" ".join(parts) for parts in out)


# "We have added an alert that fires ..., because ...", "Going forward, ...": what changes after
# the incident, whose "because" is the change's reason, never the incident's cause.
FOLLOW_UP_TOLD = re.compile(
    r"^(?:we(?:'ve|\s+have)\s+(?:since\s+|also\s+|now\s+)?(?:added|introduced|built|written|set\s+up|changed|moved|enabled|made|put)"
    r"|we(?:'re|\s+are)\s+(?:also\s+|now\s+)?(?:adding|introducing|building|writing|setting\s+up|changing|moving|enabling|making|putting)"
    r"|we(?:'ll|\s+will|\s+are\s+going\s+to|\s+plan\s+to)|going\s+forward|from\s+now\s+on|in\s+(?:the\s+)?future)\b",
    re.I,
)


# A ticket export's links to other issues ("is caused by OPS-4830 ...", "relates to OPS-4819 ...").
ISSUE_LINK = re.compile(
    r"^(?:is\s+)?(?:caused\s+by|causes|relates\s+to|blocks|blocked\s+by|duplicates|duplicated\s+by|clones|cloned\s+by)\s+[A-Z][A-Z0-9]+-\d+\b"
)


NARRATIVE_SENTENCES = 25
# A machine or a process restarting by itself is the symptom: "the servers lost power and
# restarted", "the worker kept restarting". So is one restarted by routine work before the
# incident: "had been rebooted by the hypervisor host maintenance".
SELF_RESTART = re.compile(
    r"\b(?:lost\s+power|crashed|panicked|hung|froze|went\s+down|failed|died|oom[\s-]?killed)\s+and\s+(?:then\s+)?(?:restarted|rebooted)\b"
    r"|\bkept\s+(?:restarting|rebooting)\b|\b(?:began|started)\s+(?:restarting|rebooting)(?=\s*(?:[.,;]|$|(?:repeatedly|again|every)\b))|\b(?:restarted|rebooted)\s+(?:itself|themselves|repeatedly|in\s+a\s+loop)\b"
    r"|\b(?:restarted|rebooted)\s+by\s+(?:the\s+|an?\s+)?(?:[\w-]+\s+){0,3}?(?:maintenance|patching|updates?|upgrades?|watchdog|scheduler|kubelet|oom\s+killer)\b",
    re.I,
)
# A person or team doing something: "we", "engineers", "the on-call", "Priya".
SOMEONE_DID = re.compile(
    r"\b(?:we|our\s+(?:team|engineers?|on-?call|sre|operators?|technicians?|staff)|engineers?|technicians?|operators?"
    r"|the\s+(?:team|on-?call|responders?|sre|dba|contractor|vendor)|on-?call|responders?|someone|support)\b",
    re.I,
)


# The system coming back, told without who did what: "Latency returned to normal within minutes
# of the new statistics landing.", "The backlog drained over the next two hours."
RECOVERY_TOLD = re.compile(
    r"\b(?:returned|went|came|got|was|were|is|are)\s+(?:back\s+)?(?:to\s+)?(?:normal|baseline|healthy)\b"
    r"|\b(?:recovered|drained|resumed)\b|\b(?:was|were)\s+(?:fully\s+)?restored\b",
    re.I,
)
ACTOR = re.compile(SOMEONE_DID.pattern + r"|\bthey\b|\b" + NAMED_TEAM + r"\b", re.I)


def with_the_act(found: list[str], pos: int, paragraph: list[int]) -> str:
    """A recovery told without an actor, after the sentences of its paragraph that tell someone
    acting ("The database team raised the statistics target ... Latency returned to normal ...")."""
    start = pos
    while start > 0 and pos - start < 2 and paragraph[start - 1] == paragraph[pos] and ACTOR.search(found[start - 1]) \
            and not IMPACT_SENTENCE.search(found[start - 1]) and not HEDGED.search(found[start - 1]) and not DID_NOT_HELP.search(found[start - 1]):
        start -= 1
    return " ".join(found[start:pos + 1])


def paragraph_of_each(pool: str, found: list[str]) -> list[int]:
    """The paragraph each of `found` (the pool's sentences, in order) is in; each its own where
    the paragraphs' sentences are not the pool's."""
    told = [(n, s) for n, paragraph in enumerate(PARAGRAPH_BREAK.split(pool)) for s in sentences(paragraph)]
    if [s for _, s in told] != found:
        return list(range(len(found)))
    return [n for n, _ in told]


def find_sentences(cues: re.Pattern, strong: re.Pattern, pools: list[str], limit: int = 3, exclude: str = "") -> str:
    """The first sentences carrying a cue, preferring strong cues; pools are searched in order."""
    candidates = []
    for rank, pool in enumerate(pools):
        found = sentences(pool or "")
        paragraph = paragraph_of_each(pool or "", found) if cues is FIX_CUES else []
        for pos, s in enumerate(found):
            announced = CAUSE_FOUND_LEAD.match(s) if cues is CAUSE_CUES else None
            if announced or (cues is CAUSE_CUES and REASON_FOLLOWS.search(s) and pos + 1 < len(found)):
                # "EXPLAIN revealed why." announces the cause: the sentences after it tell it, up
                # to the next timed entry ("15:55 Cause identified", then "16:20 Policy restored").
                # Run on into its sentence ("Cause found. `pg_stat_activity` shows ..."), the rest
                # of that sentence is the first of them.
                after = found[pos + 1:pos + (2 if announced else 3)]
                told = ([announced.group(1)] if announced else []) + list(
                    itertools.takewhile(lambda x: not TIME_HEADING.match(x) and not DATE_RE.match(x), after))
                if told:
                    candidates.append((((0 if rank == 0 else 1), rank, 0, pos), " ".join(told)))
                continue
            if cues is CAUSE_CUES and pos and CAUSE_BEHIND.match(s):
                candidates.append((((0 if rank == 0 else 1), rank, 0, pos - 1), f"{found[pos - 1]} {s}"))
                continue
            if cues is CAUSE_CUES and CAUSE_WHERE.match(s) and len(s.split()) <= WHERE_WORDS and pos + 1 < len(found):
                s = " ".join(found[pos:pos + 3])
            if ISSUE_LINK.match(s):
                continue  # "is caused by OPS-4830 Resize /var/log": a tracker's link, not a sentence
            probe = DETECTION_PHRASE.sub(" ", s)
            if cues is CAUSE_CUES:
                probe = BELIEF_REASON.sub(" ", probe)
            if cues is FIX_CUES:
                probe = SELF_RESTART.sub(" ", probe)
            asked = asks(s) and bool(GUESS.search(s))
            if APOLOGY.match(s) or (cues is CAUSE_CUES and (RULED_OUT.search(s) or NO_ROOT_CAUSE.search(s) or FOLLOW_UP_TOLD.match(s) or asked or WHY_NOT_BEFORE.search(s))) or (cues is FIX_CUES and (ONSET_AFTER.search(s) or DID_NOT_HELP.search(s) or PREVENTION_LEAD.match(s))):
                # "We are sorry for the confusion this caused" is neither cause nor fix; "it was
                # never a capacity issue", "we first suspected ...", "maybe a regression in label
                # matching?": what the cause was not, or a question; "We
                # restarted the MTAs, which changed nothing": an attempt, not the fix.
                continue
            if (exclude and s in exclude) or len(s) < 20 or len(s) > 600 or not cues.search(probe) or PLACEHOLDER.fullmatch(s) or says_nothing(s):
                continue
            if pos and WHY_IT_WENT_UNNOTICED.match(s) and DETECTION_STORY.search(found[pos - 1]):
                continue  # "... before we noticed it. This is partly because ...": the detection story
            if pos and EFFECT_OF_PREVIOUS.match(s):
                s = f"{found[pos - 1]} {s}"  # "This caused ..." names its cause one sentence back
            if s.endswith(":") and pos + 1 < len(found):
                s = " ".join([s, *found[pos + 1:pos + 3]])  # "So the fix was in two parts:" and the parts
            elif cues is FIX_CUES and RECOVERY_TOLD.search(s) and not ACTOR.search(s) and not strong.search(s):
                s = with_the_act(found, pos, paragraph)
            # A weak cue in the first pool (the summary) ties with a strong cue further on: the
            # summary tells the cause, a timeline's "due to" is as often about a symptom.
            strong_cue = bool(strong.search(s))
            # Among a long narrative's weak fix cues, what someone did ("the team moved the units
            # to another feed") before what the system did ("the trip removed power", "replicas
            # failed over"), which the story tells first.
            by_system = cues is FIX_CUES and not strong_cue and len(found) >= NARRATIVE_SENTENCES and not SOMEONE_DID.search(s)
            candidates.append((((0 if strong_cue else 1) + (0 if rank == 0 else 1), rank, int(by_system), pos), s))
    if not candidates:
        return ""
    candidates.sort(key=lambda c: c[0])
    if candidates[0][0][0] == 0:
        # The summary states it with a strong cue ("We restored service by rolling back ..."):
        # weak cues further on (a timeline's "pod terminated") add noise, not the answer.
        candidates = [c for c in candidates if c[0][0] < 2]
        if cues is FIX_CUES and candidates[0][0][1] == 0:
            # A fix told in the first pool's sentence ("We restored service by issuing a new
            # certificate and restarting the pods") is not told again by timeline entries
            # further on ("01:12 Rolling restart of payments-api"), which only restate its steps.
            candidates = [c for c in candidates if c[0][1] == 0 or not TIME_HEADING.match(c[1])]
    picked: list[tuple[tuple[int, int], str]] = []
    for (_, rank, _, pos), s in candidates:
        # An effect sentence brings its cause along, which may be a candidate of its own too:
        # each sentence once, in the longer candidate.
        if any(s in p for _, p in picked):
            continue
        picked = [(at, p) for at, p in picked if p not in s] + [((rank, pos), s)]
        if len(picked) == limit:
            break
    if cues is FIX_CUES:
        # What was done, in the order it was done.
        picked.sort()
    return " ".join(s for _, s in picked)


def last_entries(timeline: str, n: int = 4) -> str:
    """The last few timeline entries, where the fix usually is."""
    rows = [r for r in render_timeline(timeline).splitlines() if r.strip()]
    return "\n".join(rows[-n:])


def diagnosis_before(timeline: str, fix: str) -> str:
    """What a timeline's entries tell just before its fix: the sentences of the fix's entry
    before it, else the entries before that one (up to three back, past those that only tell
    what was done), when they tell something (eight words or more) and neither guess ("we
    suspect ..."), act, tell what users saw nor how it was noticed. '' where the fix is no
    entry's."""
    # Where the fix starts: its first act of the responders' (a weaker fix sentence before it may
    # be the diagnosis: "... the cleanup job deleted the font").
    acts = sentences(fix)
    first = next((x for x in acts if responders_acted(x)), next(iter(acts), ""))
    rows = render_timeline(timeline).splitlines()
    at = next((i for i, row in enumerate(rows) if first and first in row), None)
    if at is None:
        return ""
    own = entry_text(rows[at][: rows[at].find(first)] + first)
    cut = own.find(entry_text(first))
    # Back past entries that only tell more of what was done ("Grew the volume to 2.5 TiB").
    for told in (own[: max(cut, 0)], *(entry_text(row) for row in reversed(rows[max(0, at - 3) : at]))):
        said = [x for x in sentences(told) if not says_nothing(x)]
        found = [x for x in said if not HEDGED.search(x) and not off_the_story(x) and not DETECTION_STORY.search(x)]
        if len(" ".join(found).split()) >= 8:
            return " ".join(found)
        if found:
            break
    return ""


def entries_apart(timeline: str) -> str:
    """A timeline with each entry a paragraph of its own: a list item, or a line that opens on a
    time, a bold name or a heading, starts one; the lines that wrap an entry's text stay in it."""
    return "\n".join(
        ("\n" if LIST_ITEM.match(line) or TIME_HEADING.match(line.strip()) or line.lstrip().startswith(("**", "#")) else "") + line
        for line in timeline.splitlines()
    )


def entry_text(row: str) -> str:
    """A rendered timeline row's event: without the time, author and kind cells before it."""
    cells = row.split(" — ")
    while len(cells) > 1 and len(cells[0].split()) <= 4:
        cells.pop(0)
    return " — ".join(cells)


def render_timeline(text: str) -> str:
    """Timeline as plain lines: table rows become `time — event`, `### HH:MM` headings join
    their paragraph."""
    if not text:
        return ""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line:
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if all(TABLE_RULE.fullmatch(c) for c in cells if c) or [c.lower() for c in cells[:2]] in (
                ["time", "event"], ["time", "description"], ["date", "event"], ["timestamp", "event"],
            ):
                continue
            out.append(" — ".join(strip_markdown(c).strip() for c in cells if c.strip()))
            continue
        m = MD_HEADING.match(line)
        if m:
            head = m.group(2).strip()
            para = []
            while i < len(lines) and lines[i].strip() and not lines[i].lstrip().startswith("#"):
                para.append(lines[i].strip())
                i += 1
            if TIME_HEADING.match(head) or para:
                out.append(f"{head} — {' '.join(strip_markdown(' '.join(para)).split())}".rstrip(" —"))
            continue
        if line.startswith("```"):
            while i < len(lines) and not lines[i].strip().startswith("```"):
                i += 1
            i += 1
            continue
        item = LIST_ITEM.match(lines[i - 1])
        out.append(" ".join(strip_markdown(item.group(2) if item else line).split()))
    return "\n".join(o for o in out if o)


# A response step that says the cause was found ("We identified that a single repository ...").
DIAGNOSED = re.compile(r"\b(?:identified|determined|found|confirmed|traced|isolated|pinpointed|narrowed\s+down)\b|\broot\s+cause\b", re.I)


def after_diagnosis(response: str) -> str:
    """The steps a response list tells after the one that found the cause, when one of them has a
    fix cue: "enabled a concurrency limit", "the customer paused their CI" and "added capacity"
    are the fix together, though only the last has a fix word."""
    items = list_items(response)
    at = next((i for i, item in enumerate(items) if DIAGNOSED.search(item)), None)
    if len(items) < 3 or at is None:
        return ""
    steps = items[at + 1:at + 6]
    return " ".join(steps) if any(FIX_CUES.search(step) for step in steps) else ""


def list_items(text: str) -> list[str]:
    if not text:
        return []
    items: list[list[str]] = []  # each item's lines
    item_indent = None  # the indent of the last item's marker while its lines continue
    column = None  # the action's column of the table being read
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if item_indent is not None and line.strip() and indent_width(line) > item_indent and not (LIST_ITEM.match(line) or SUBSECTION_ITEM.match(line)):
            # A hard-wrapped item ("7.1 Configure minimum-links on exchange bundles so that a\n
            #      single failing member ..."): its next line, indented under it.
            items[-1].append(strip_markdown(line))
            continue
        item_indent = None
        if line.strip().startswith("|"):
            cells = [strip_markdown(c).strip() for c in line.strip().strip("|").split("|")]
            if all(TABLE_RULE.fullmatch(c) for c in cells if c):
                continue
            if column is None:
                column = table_action_column(cells)
                if i + 1 < len(lines) and TABLE_RULE.fullmatch(lines[i + 1].strip().strip("|").split("|")[0].strip()):
                    continue  # the header row
            value = cells[column] if column < len(cells) else ""
            if value and value.lower() not in ("action item", "action", "item", "task"):
                items.append([value])
            continue
        column = None
        m = LIST_ITEM.match(line) or SUBSECTION_ITEM.match(line)
        if m and indent_width(line) <= (4 if m.re is SUBSECTION_ITEM else 2):
            item = re.sub(r"^\[[ xX]\]\s*", "", " ".join(strip_markdown(m.group(2)).split()))
            if item and not PLACEHOLDER.fullmatch(item):
                items.append([item])
                item_indent = indent_width(line)
    return [" ".join(" ".join(lines).split()) for lines in items[:30]]


# An action table's columns: the one that says what to do, and those that only number it.
ACTION_COLUMN = re.compile(r"(?:action(?: items?)?|items?|tasks?|what|description|recommendations?|follow[- ]?ups?)", re.I)
NUMBER_COLUMN = re.compile(r"(?:#|no\.?|nr\.?|id|ref(?:erence)?|key|ticket|jira|issue|priority|p\d?|[a-z]{0,6}-?\d{1,5}\.?)?", re.I)


def table_action_column(header: list[str]) -> int:
    """Which column of an action table holds the action: the one its header names so, else
    the first that does not number the rows ("| # | Action | Owner |", "| AI-1 | ... |")."""
    named = next((i for i, cell in enumerate(header) if ACTION_COLUMN.fullmatch(cell)), None)
    if named is not None:
        return named
    return next((i for i, cell in enumerate(header) if not NUMBER_COLUMN.fullmatch(cell)), 0)


OPAQUE_ID = re.compile(r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,})$", re.I)


# The kind of document a report's letterhead names instead of the incident.
DOC_KIND = (
    r"(?:(?:root\s+cause\s+analysis|rca)(?:\s+report)?|reason\s+for\s+outage(?:\s+\(rfo\))?|rfo"
    r"|(?:(?:major|serious|significant|critical|security|service|noc|soc|(?:security|network)\s+operations\s+cent(?:re|er))\s+)?(?:post[\s-]?)?incident\s+(?:analysis|report|review|summary|write[\s-]?up|notes?)"
    # A regulator's "Final report" on an incident, after its "Initial notification".
    r"|(?:initial|interim|intermediate|final)\s+(?:incident\s+)?report"
    # "SERVICE DISRUPTION NOTE", "CUSTOMER SERVICE BULLETIN".
    r"|(?:service\s+)?(?:disruption|outage|interruption)\s+(?:note|notice)|(?:customer\s+)?(?:service\s+)?bulletin"
    r"|post[\s-]?(?:incident|mortem)(?:\s+(?:review|report|analysis))?|pir|(?:5|five)\s+whys(?:\s+analysis)?"
    r"|(?:noc\s+)?(?:shift|handover)\s+(?:report|log)|(?:ops|operations|noc|on[\s-]?call)\s+(?:notes|log)"
    # A site's "EVENT REPORT", an ITIL desk's "Problem Record" and its "Problem Management" page,
    # a ground segment's "Anomaly Report", a hospital's "Significant Event Analysis" and its
    # "SBAR" (situation, background, assessment, recommendation).
    r"|(?:event|problem|anomaly)\s+(?:report|record|review)|problem\s+management|lessons?\s+learned\s+(?:review|report)"
    # A desk's "Problem Closure Report" when the record is closed; a translated "Failure Report".
    r"|(?:(?:problem|incident)\s+)?closure\s+report|failure(?:\s+result)?\s+report"
    r"|(?:significant|serious|critical)\s+event\s+(?:analysis|audit)|sbar(?:\s+report)?"
    # A quality system's records: an 8D report, a CAPA record, a non-conformance report, an
    # ISMS incident register's entry.
    r"|8d[\s-]+(?:problem[\s-]+solving\s+)?report"
    r"|(?:corrective\s*(?:&|and)\s*preventive\s+action|capa)\s+(?:record|report|form)|non[\s-]?conformance\s+report|ncr"
    r"|(?:information\s+security\s+)?incident\s+register(?:\s+(?:entry|extract|\(extract\)))?)"
)
# "Incident Report (Final)", "Incident Report (Interim)": the kind with the report's stage.
KIND_LINE = re.compile(rf"^{DOC_KIND}(?:\s*\([\w .-]{{1,25}}\))?$", re.I)
# "Post-mortem: X", "Security Incident Post-mortem: X": a label that is the document's kind.
KIND_LABEL = re.compile(rf"{DOC_KIND}$", re.I)
# "[MailCourier] Kestrelhub incident report: hosted runner delays", "Root Cause Analysis - ...",
# "Incident: files.example.org serving an expired certificate", "KBS Player: Post Incident Review:
# ...": the incident after the kind. "PIR-0412: ..." keeps its number.
KIND_PREFIX = re.compile(rf"^(?:\[[^\]]*\]\s*)?(?:re:\s*)?(?:[\w-]+:?\s+){{0,2}}(?:{DOC_KIND}|incident)(?!-\d)\s*[-–—:]\s*(?=\S)", re.I)
# "QUAYSTACK INCIDENT ANALYSIS", "BRAMBLEWEB HOSTING - INCIDENT SUMMARY", "INCIDENT REPORT": the
# organization (a few capitalised words at most) and the document's kind. "Inventory lookups
# timing out — incident review" names its incident.
# The kind may carry the report's reference ("Major Incident Report MIR-2024-017").
# A record's number: "IR-2024-0088", "PRB0043550", "CDS-INC-0302-04"; letters first, a digit in it.
RECORD_ID = r"(?-i:[A-Z]{2,}[A-Z-]*\d[\w-]*)"
# Or a number within its year: "8D-Report 2024-0142".
YEAR_NUMBER = r"(?:19|20)\d\d-\d{2,6}"
LETTERHEAD = re.compile(
    rf"^(?-i:(?:[A-Z][\w&.,'()]*\s+){{0,4}}|(?:[A-Z][\w&.,'()]*\s+){{0,3}}[A-Z][\w&.,'()]*(?=:))(?:(?:--|[-–—:|])\s*)?{DOC_KIND}"
    rf"(?:\s*[-–—:#]?\s*(?:{RECORD_ID}|{YEAR_NUMBER}))?$",
    re.I,
)
# "Conformance Lab cluster -- incident notes": a system's name and the kind, or the incident's
# own ("Flash sale queue backlog — post-incident review"): a letterhead only where a line below
# names the incident.
NAME_AND_KIND = re.compile(rf"^[A-Z][\w&.'()]*(?:\s+[\w&.'()]+){{0,5}}\s+(?:--|[–—])\s*{DOC_KIND}$", re.I)
# A page's running header: "Corvane Payments Confidential - Internal", "ACME — Internal use only".
MARKING = r"(?:(?:company\s+)?confidential|(?:for\s+)?internal(?:\s+use(?:\s+only)?)?|restricted|proprietary)"
MARKED = re.compile(rf"^(?-i:(?:[A-Z][\w&.,'()]*\s+){{0,4}})(?:[-–—:|]\s*)?{MARKING}(?:\s*[-–—:|/]\s*{MARKING})?$", re.I)
# Or the organisation, its unit and the marking as parts of their own, in any order: "Brindle Maps
# - Reliability Engineering - INTERNAL", "Ferncliff Credit Union · Information Security Office ·
# RESTRICTED", "KESTRELPAY LTD - CONFIDENTIAL - Security Engineering".
MARKING_PART = re.compile(rf"^{MARKING}\b", re.I)
HEADER_SEPARATOR = re.compile(r"\s+[-–—|·•]\s+")


def marked_header(line: str) -> bool:
    parts = HEADER_SEPARATOR.split(line.strip())
    return 2 <= len(parts) <= 4 and ORG_NAME.match(parts[0]) is not None and any(MARKING_PART.match(p) for p in parts[1:])


def record_line(labels: str) -> re.Pattern:
    """A record's "Label: value" line, or a key/value table's "| **Label** | value |" row, for
    any of `labels`; its value is group 1, read with cell_value. (A lazy value before optional
    trailing spaces and pipe would be quadratic in a line of spaces.)"""
    return re.compile(rf"^\|?\s*(?:\*\*)?(?:{labels})(?:\*\*)?\s*(?::|\|)(.+)$", re.I)


def cell_value(text: str) -> str:
    """A label's value as written, without a table row's closing pipe."""
    return text.strip().removesuffix("|").strip()


# A shift report's section on its incident: "3. INC-0319 - MEMBER PORTAL UNREACHABLE".
INCIDENT_SECTION = re.compile(r"^(?:\d{1,2}[.)]\s+)?INC(?:IDENT)?[-\s#]?\d+\s+[-–—:]\s+(\S.{4,120})$", re.I)
# "INCIDENT: GLOBAL CACHE PURGE FAILURES", "Subject: ...", "| Incident | ... |", a problem record's
# "Abstract: ..." under a letterhead.
NAMED_INCIDENT = record_line(r"incident|subject|incident\s+name|event|abstract")
# A company's legal form at the end of its name: "... Services Ltd", "Halvard GmbH", "Acme, Inc.".
COMPANY_SUFFIX = re.compile(r"[\s,](?:ltd|limited|inc|llc|plc|gmbh|ag|b\.v|s\.a|s\.l|corp|corporation|pty|oy|ab|nv|s\.p\.a|sas|sarl)\.?$", re.I)
# A tracker export's banner ("Jira export | Project: INC | Exported 2024-09-12") over the
# ticket's fields, whose "Summary:" names the incident.
EXPORT_BANNER = re.compile(r"^(?:[\w.-]+\s+){0,3}(?:issue\s+|ticket\s+)?export\b|\bexported\s+(?:by|on|at|\d)", re.I)
TICKET_SUMMARY = record_line(r"summary|title")
# "Service: MyTamar patient portal", "| **Service** | TicketPoint booking engine |": what a
# letterhead's record names where no line names the incident.
SERVICE_LINE = record_line(r"(?:affected\s+)?(?:service|system|application|product)s?(?:\s+affected)?")
# "ASHGROVE MUTUAL INSURANCE", "CORVANE PAY -- ENGINEERING": an organization's name (and a
# department's), every word capitalised.
# An organisation's name over its unit: "KESTREL AUTO COMPONENTS - PLANT 2 VELMAR - IT".
ORG_AND_UNIT = re.compile(r"^(?-i:[A-Z][\w&.,'()]*(?:[ \t]+[\w&.,'()/]+){0,5}(?:[ \t]+[-–—|][ \t]+[A-Z0-9][\w&.,'()/]*(?:[ \t]+[\w&.,'()/]+){0,5}){1,3})$")
KIND_START = re.compile(rf"^{DOC_KIND}\b", re.I)
# "Incident Report IR-2024-0088": the report's kind and number, naming no incident.
KIND_AND_ID = re.compile(rf"^{DOC_KIND}\s*[:#-]?\s*(?:{RECORD_ID}|{YEAR_NUMBER})$", re.I)
# "PRB0043550 - Problem Record": the record's number and its kind.
ID_AND_KIND = re.compile(rf"^{RECORD_ID}\s*[-–—:|]\s*{DOC_KIND}$", re.I)
# "MT TARROW - PROCESS CONTROL - EVENT REPORT", "Calloway Digital Services - Incident Report
# CDS-INC-0302-04 - City of Westbrook": an organisation's parts, one of them the report's kind.
# The kind may follow its unit's name ("IT Operations incident review").
KIND_PART = re.compile(rf"(?-i:(?:[A-Z][\w&]*\s+){{0,3}}){DOC_KIND}(?:\s+{RECORD_ID})?", re.I)
PART_SEPARATOR = re.compile(r"\s[-–—|]\s")


def names_and_kind(line: str) -> bool:
    """Names (an organisation, its unit, its client) and the report's kind, apart by dashes."""
    parts = [p.strip() for p in PART_SEPARATOR.split(line)]
    kinds = [p for p in parts if KIND_PART.fullmatch(p)]
    return 2 <= len(parts) <= 4 and len(kinds) == 1 and all(p in kinds or ORG_NAME.match(LEGAL_FORM.sub("", p)) for p in parts)


# "Calderbrook Bank plc", "Harcourt Bellamy LLP": a company's legal form after its name.
LEGAL_FORM = re.compile(r"\s+(?:plc|ltd|limited|inc|llc|llp|gmbh|ag|sa|bv|nv)\.?$", re.I)
# "Title Balance enquiry slowdown ...": a PDF form's "Title" cell run into its value.
FORM_TITLE = re.compile(r"^(?-i:(?:Incident |Event |Problem )?Title)\s+(?=[A-Z])")
# "Incident report from Calloway Digital Services to the City Clerk", "Post-incident report ·
# Digital Assessment Team": who sent the report, under an incident's own title; not the
# report's kind standing for the title.
KIND_FROM = re.compile(rf"^{DOC_KIND}(?:\s+(?:from|to|for|by|prepared|issued|written|submitted)\b|\s*[·•]\s)[^:]*$", re.I)
# "Corvina Air ITSM » Problem Management » PRB0043550": where the page sits, no name.
BREADCRUMB = re.compile(r"\s[»›]\s|\s>\s.*\s>\s")
# "Tri-County Regional Transit Authority", "Eastvale and Kessock Hospitals NHS Trust".
ORG_NAME = re.compile(r"^(?-i:(?:[A-Z][\w&.,'()-]*(?:\s+[-–—]+)?\s+(?:(?:and|of|for|the|&)\s+)?){0,5}[A-Z][\w&.,'()-]*)$")


def particulars(line: str) -> bool:
    """A record's particulars ("Incident ID: TW-0310", "Status: Resolved", "Review date: 2024-09-06",
    "Date: ... · Severity: ..."): a label with a short value. A name or a sentence may have a colon
    of its own ("EdgeSpan incident report: wrong content served for query-string URLs")."""
    label = PLAIN_LABEL.match(strip_markdown(line).strip())
    if not label or KIND_LABEL.search(label.group(2)):
        return False  # "Post-mortem: Patients received repeated reminders" names its incident
    words = re.findall(r"[A-Za-z]{2,}", label.group(3) or "")
    return bool(classify_label(label.group(2))) or len(words) <= 5 or "·" in line


def reads_as_title(line: str) -> bool:
    """A short line that names something: not a sentence, a label's particulars or a section's name."""
    return (
        len(line.split()) <= 20 and not line.endswith((".", ",", ":")) and not line.startswith("|") and bool(re.search(r"[^\W\d_]{2}", line))
        and not particulars(line) and not classify_label(line)
    )


def names_words(value: str) -> bool:
    """Words, not an id and a severity ("INC-21077, SEV1") or a date."""
    return sum(bool(re.fullmatch(r"[A-Za-z][A-Za-z'-]*[,.;]?", w)) for w in value.split()) >= 2


SETEXT_RULE = re.compile(r"^=+[ \t]*$")


def letterhead_title(h1: str, body: str) -> tuple[str, str]:
    """The incident's name where the first heading is a report's letterhead ("VERDANT EDGE
    NETWORKS" over "Root Cause Analysis"): its "Incident:" or "Subject:" line, else the first
    short line after the letterhead; with where it came from. ('', '') where the heading is no
    letterhead or nothing names the incident."""
    lines = body.split("\n")
    # An ATX heading, or a plain-text report's title underlined with "=" (setext).
    top = next((i for i, line in enumerate(lines) if line.startswith("# ") or (
        line.strip() and i + 1 < len(lines) and SETEXT_RULE.match(lines[i + 1]))), None)
    if top is None or lines[top].removeprefix("# ").strip() != h1.strip():
        return "", ""
    # A plain-text report's short lines read as headings once converted: their words are the same.
    start = top + 1 if lines[top].startswith("# ") else top + 2
    below = [strip_markdown(MD_HEADING.sub(r"\2", line.strip())).strip() for line in lines[start:start + 39] if line.strip()]
    if EXPORT_BANNER.search(h1):
        summary = next((cell_value(m.group(1)) for m in map(TICKET_SUMMARY.match, below[:20]) if m), "")
        if summary and len(summary.split()) <= 20:
            return summary, "letterhead: ticket summary"
    named_below = below and (
        # "Tri-County Regional Transit Authority" over its unit, then "Incident Review: ...".
        ORG_NAME.match(h1.strip()) and any(KIND_PREFIX.match(line) for line in below[:2])
        # "MERIDIA SAVINGS BANK - IT Risk & Operations" over "Incident Report IR-2024-0088".
        or ORG_AND_UNIT.match(h1.strip()) and not KIND_START.match(h1.strip()) and any(KIND_START.match(line) and not KIND_FROM.match(line) for line in below[:2])
    )
    # A company's letter: its name ("Brightwater IT Managed Services Ltd", "BRIGHTWATER IT") over
    # its address and references, then the letter's kind ("REASON FOR OUTAGE") over the line that
    # names the incident, or a "Subject:" line that does.
    named_company = ORG_NAME.match(h1.strip())
    suffixed = bool(named_company and COMPANY_SUFFIX.search(h1.strip()))
    kind_at = next((i for i, line in enumerate(below[:8]) if KIND_LINE.match(line)), None) if suffixed else None
    subject = bool(named_company and (suffixed or h1.strip().isupper())) and any(SUBJECT_LINE.match(line) for line in below[:8])
    # The heading only the document's kind ("Incident Report (Final)"): the line below names the incident.
    letterhead = (
        LETTERHEAD.match(h1.strip()) or KIND_LINE.match(h1.strip()) or MARKED.match(h1.strip()) or marked_header(h1) or ID_AND_KIND.match(h1.strip())
        or names_and_kind(h1.strip()) or (below and KIND_LINE.match(below[0])) or named_below or kind_at is not None or subject
    )
    # "Incident report to the Financial Supervisory Authority": whom the report is for, no name;
    # only a line that names the incident stands for it.
    addressed = bool(KIND_FROM.match(h1.strip())) and not PART_SEPARATOR.search(h1)
    if not (letterhead or addressed or NAME_AND_KIND.match(h1.strip())):
        return "", ""
    # A shift report names its incident in a section of its own ("3. INC-0319 - MEMBER PORTAL
    # UNREACHABLE FROM SOME ISPs").
    ticket = next((m.group(1) for m in map(INCIDENT_SECTION.match, below) if m), "")
    if ticket:
        return ticket, "letterhead: incident section"
    for line in below if letterhead or addressed else below[:15]:
        # A form's numbered answer ("3. Incident: Merchant payouts delayed.") names it too, in
        # its first sentence where the story goes on after it.
        named = NAMED_INCIDENT.match(NUMBERED_ANSWER.sub("", line))
        value = cell_value(named.group(1)) if named else FORM_TITLE.sub("", line) if FORM_TITLE.match(line) else ""
        value = re.split(r"(?<=[a-z0-9)])\.\s+(?=\S)", value, maxsplit=1)[0].strip() if value else ""
        if names_words(value) and len(value.split()) <= 24:
            return value, "letterhead: incident line"
    subtitle = BOLD_LINE.match(next((line.strip() for line in lines[start:start + 5] if line.strip()), ""))
    if addressed and subtitle and reads_as_title(strip_markdown(subtitle.group(1)).strip()):
        # "Incident Report to the Health Information Standards Authority" over its subtitle in
        # bold: "Hollins Community Pharmacy Ltd — Loss of connection to the NPE, 14 May 2024",
        # whose name is the incident's once the reporting organisation is set aside.
        name = strip_markdown(subtitle.group(1)).strip()
        apart = PART_SEPARATOR.search(name)
        who, what = (name[:apart.start()], name[apart.end():]) if apart else ("", name)
        return (what if who and (COMPANY_SUFFIX.search(who) or ORG_NAME.match(who)) else name), "letterhead: line below"
    if not letterhead:
        return "", ""
    # "Incident Review: Daily fare cap not applied" under the organization and its unit.
    kind_named = next((i for i, line in enumerate(below[:3]) if KIND_PREFIX.match(line) and names_words(KIND_PREFIX.sub("", line))), None)
    first = kind_at + 1 if kind_at is not None else 0
    for i, line in enumerate(below[first:first + 3], first) if kind_named is None else [(kind_named, below[kind_named])]:
        # "Serious Service Incident Report — SSI-2024-007": the kind and an id, no name; so is a
        # running header's "Anomaly Report AR-2024-019 | Issue 2 | Ground Segment".
        if KIND_LINE.match(line) or KIND_AND_ID.match(PART_SEPARATOR.split(line)[0].strip()) or BREADCRUMB.search(line) or names_and_kind(line) or KIND_PREFIX.match(line) and not names_words(KIND_PREFIX.sub("", line)):
            continue
        if reads_as_title(line):
            if i + 1 < len(below) and (below[i + 1][:1].islower() or below[i + 1].startswith("(")) and len(below[i + 1].split()) <= 8:
                # A page's width wrapped the title ("... repeated appointment" / "reminder texts").
                line = f"{line} {below[i + 1]}"
            # A memo's "Re: <subject>" line under the report's kind; a form's "Title" word.
            line = FORM_TITLE.sub("", line)
            return REPLY_PREFIX.sub("", line) or line, "letterhead: line below"
        break
    # A record that names no incident names its service: the service says more than the letterhead.
    service = next((cell_value(m.group(1)) for m in map(SERVICE_LINE.match, below[:15]) if m and cell_value(m.group(1))), "")
    return (service, "letterhead: service line") if service else ("", "")


# A status page's name over the incident's own heading ("Paxelle Status", "Status | Orbit",
# "Tidewell Telematics - System Status", "TallyHQ Status — Incident History", "Corvane Cloud
# Status — Incident #24009"), or a provider's site and its section ("Nimbara Cloud | Post-Event
# Summaries").
STATUS_PAGE = re.compile(
    r"^(?:(?:[\w&.'-]+\s+){1,4}status(?:\s+page)?(?:(?:\s+[|:–—-])?\s+(?:incident\s+)?(?:history|incidents?)(?:\s+#?\d+)?)?|status(?:\s+page)?\s*[|:–—-]\s*[\w&.' -]{1,40}"
    r"|(?:[\w&.'-]+\s+){1,3}[|:–—-]\s+(?:post[\s-]?(?:event|incident)\s+(?:summaries|reports)|incident\s+(?:history|reports)))$",
    re.I,
)


def heading_below(body: str, h1: str) -> tuple[str, str]:
    """The event's name under a status page's: the line right under it, else the first heading
    that names something, not a section; ('', '') if none."""
    lines = body.split("\n")
    top = next((i for i, line in enumerate(lines) if line.startswith("# ") and line[2:].strip() == h1.strip()), None)
    below = [line.strip() for line in lines[top + 1:] if line.strip() and not SETEXT_RULE.match(line.strip())] if top is not None else []
    # Or the line right under it, bold or plain, as a status site sets the event's name; a
    # page's width may have wrapped it ("Summary of the ... Service Event in the" / "EU-WEST-3 ...").
    # (A plain line names it in words of its own: not the site's name or its links "Dashboard · History".)
    bold = BOLD_LINE.match(below[0]) if below else None
    first = strip_markdown(bold.group(1) if bold else below[0]).strip() if below and not MD_HEADING.match(below[0]) else ""
    if first and not bold and (len(first.split()) < 5 or re.search(r"\s[·|•]\s", first)):
        first = ""
    if first and STOPS_MID_SENTENCE.search(first) and len(below) > 1 and not MD_HEADING.match(below[1]):
        first = f"{first} {strip_markdown(below[1]).strip()}"
    if first and reads_as_title(first):
        return first, "heading: below the status page's name"
    for line in below:
        m = MD_HEADING.match(line)
        if m and len(m.group(1)) > 1:
            name = strip_markdown(m.group(2)).strip()
            return (name, "heading: below the status page's name") if reads_as_title(name) else ("", "")
    return "", ""


BOLD_LINE = re.compile(r"^\*\*([^*\n]{4,200})\*\*\s*$")


def pick_title(
    props: dict, h1: str, source_id: str, prop_origin, by_field: dict, body: str = "", h1_origin: str = ""
) -> tuple[str, str]:
    title = str(props.get("title") or "").strip()
    origin = prop_origin("title")
    # A key/value table's or a label's "Title" row names the incident, where the heading above
    # it is often the report's ("POST INCIDENT REPORT PIR-0542"). A report's "1. Short
    # description" section is its story, not a record's field.
    named = [b for b in by_field.get("title", []) if not (b.kind == "section" and SHORT_DESCRIPTION.search(b.label))]
    if not title and named:
        title = strip_markdown(named[0].text).strip().split("\n")[0]
        origin = block_origin(named[0])
    if not title:
        title, origin = record_summary(body)
    if not title:
        title, origin = form_title(body)
    if not title:
        title, origin = channel_topic(body)
    if not title:
        title, origin = letterhead_title(h1, body)
    if not title:
        title, origin = handover_incident(h1, body)
    # (The page's kind may be the line under its letterhead: "ORRERY ANALYTICS" over "Quarterly
    # Service Credit Report".)
    if not title and any(CONTAINER_PAGE.search(line) for line in [h1, *opening_lines(body, 2)[1:]]):
        title, origin = incident_heading(by_field, container=True)
    if not title and STATUS_PAGE.match(h1.strip()):
        title, origin = heading_below(body, h1)
    if not title and h1.strip():
        title, origin = h1.strip(), h1_origin or "heading: title"
    if not title:
        title, origin = subject_line(body)
    if not title:
        title, origin = incident_line(body)
    if not title:
        title, origin = incident_heading(by_field)
    if not title:
        origin = "file name"
        stem = PurePosixPath(source_id).name
        stem = FILE_EXTENSION.sub("", stem)
        title = stem.replace("_", " ")
        named = next((k for k in ("product", "company", "service") if str(props.get(k) or "").strip()), None) if OPAQUE_ID.match(stem) else None
        if named:
            # A collection that names its files by id ("06ceee47-94f1-...") says whose incident it was.
            title, origin = f"{str(props[named]).strip()} incident", prop_origin(named)
        elif names_nothing(stem):
            told = described(by_field)
            if told:
                title, origin = told
    title = re.sub(r"^(?:incident\s+(?:on|date:?)\s+)?\d{4}-\d{2}-\d{2}\s*[-–—:,]\s*", "", title, flags=re.I)
    title = re.sub(r"^PM\d{4}-\d+\s*[-–:]\s*", "", title, flags=re.I)
    # A page's icon before its name (Outline and Notion put an emoji there: "🕑 Stale dashboards"),
    # then the document's kind ("🚨 Incident review: ...").
    title = KIND_PREFIX.sub("", ICON_PREFIX.sub("", title))
    return " ".join(strip_markdown(title).split())[:200] or source_id, origin


# A file's name that is its record's number, its kind or its scan ("RWB-IR-2024-031_OCR",
# "page-1179650-storage", "MM-0928 Postmortem"): no word of it tells what happened.
FILE_NAME_WORD = re.compile(
    r"(?:ocr|scan\w*|signed|storage|page|notes?|timeline|log|report|post-?mortem|incident|final|draft|copy|export(?:ed)?"
    r"|review|rca|pir|rfo|ops|minutes|summary|rev|issue|version|attachment|document|doc|file)",
    re.I,
)


def names_nothing(stem: str) -> bool:
    """Fewer than two words of the file's name are words (an acronym, "PBA", "SIR", is the record's)."""
    words = [w for w in re.findall(r"[A-Za-z]+", stem) if len(w) >= 3 and not w.isupper() and not FILE_NAME_WORD.fullmatch(w)]
    return len(words) < 2


def described(by_field: dict) -> tuple[str, str] | None:
    """The description's first sentence, where nothing names the incident but its file's number:
    a scanned form's "Brief description of event" tells what happened in its first line."""
    block = next((b for name in ("summary", "impact") for b in by_field.get(name, []) if clean_field(b.text)), None)
    first = sentences(strip_markdown(clean_field(block.text)))[:1] if block else []
    words = first[0].rstrip(".").split() if first else []
    if len(words) < 4:
        return None
    return " ".join(words[:30]) + ("…" if len(words) > 30 else ""), f"{block_origin(block)}: first sentence"


# A part's heading that announces the incident it holds ("Incident recap:", "Known failure mode:").
PART_KIND = re.compile(
    r"^(?:[^\w\s]+\s*)?(?:\d{1,2}[.)]\s+)?(?:(?:incident|outage|failure)(?:\s+(?:recap|summary|spotlight|of\s+the\s+(?:week|month|quarter)))?|deep[\s-]dive|featured\s+(?:review|incident)|known\s+failure\s+modes?|case\s+study)"
    # A report's incident under its reference: "2. Incident OA-INC-2405-14: dashboards timing out".
    r"(?:\s+[A-Z][A-Z0-9]*-[\w-]*\d[\w-]*)?\s*[:—–-]\s*",
    re.I,
)


# A page that holds incidents among other things: a newsletter, a periodic report, a runbook,
# a status page, a changelog, an incident log.
CONTAINER_PAGE = re.compile(
    r"\b(?:weekly|monthly|quarterly|digest|newsletter|bulletin|issue\s+#\d+|run\s?book|playbook|handbook|manual|guide|readme"
    r"|change\s?log|release\s+notes|incident\s+log|status|known\s+(?:issues|failure\s+modes)|board\s+pack"
    r"|(?:operations|ops|service|reliability)\s+(?:review|report)|(?:engineering|eng|infra\w*|platform|team|ops)\s+notes"
    # A provider's statement to a customer over a period, its incidents among its figures.
    r"|service\s+credit|(?:availability|uptime)\s+(?:report|statement)|sla\s+(?:breach\s+)?report)\b",
    re.I,
)


HISTORY_HEADING = re.compile(r"\b(?:incidents?|outages?|failures?)\s+(?:history|log)\b|\b(?:past|previous|known)\s+(?:incidents|issues|failure\s+modes)\b", re.I)


def opening_lines(body: str, count: int) -> list[str]:
    """The first lines with text (of the first 40), as plain text."""
    return [strip_markdown(MD_HEADING.sub(r"\2", line)).strip() for line in body.split("\n")[:40] if line.strip()][:count]


def incident_heading(by_field: dict, container: bool = False) -> tuple[str, str]:
    """The heading of the part of a page that holds the cause and the fix (those it labels),
    where the page holds other things too: a newsletter's "Incident recap: Bookings timing out",
    a runbook's "Known failure mode: VRRP split brain". The page's own title names the
    newsletter or the runbook; under an incident's own title, a part is its "Short version".
    The part's heading is no name where it is the document's kind ("Post-incident report")."""
    parts = {next((b.within for b in by_field.get(name, []) if b.text.strip()), None) for name in ("root_cause", "fix")} - {None}
    if container and "" in parts and any(PART_KIND.match(strip_markdown(p)) for p in parts):
        # On a page that holds other things, one of them may have a section of its own at the
        # top level ("3. Actions taken") below the part that announces the incident.
        parts.discard("")
    heading = parts.pop() if len(parts) == 1 else ""
    name = PART_KIND.sub("", strip_markdown(heading)).strip()
    if len(name.split()) < 2 or classify_label(name) or KIND_LINE.match(label_text(name)) or HISTORY_HEADING.search(name):
        return "", ""
    return name, f"heading: {heading}"


# A chat channel's export opens on the channel ("Slack export: #inc-0213-quotes-lag", "# Export
# of #inc-optchain-1008"), whose name is no title; its topic or purpose line names the incident,
# beside the severity and who leads ("SEV2 | Level 1 quotes lagging at the open | IC: priya").
CHANNEL_NAME = re.compile(r"(?:^|[\s:|(])\\?#[a-z][\w-]{2,}")
CHANNEL_ONLY = re.compile(r"^\\?#[a-z][\w-]{2,}$")
CHANNEL_TOPIC = re.compile(r"^(?:channel\s+)?(?:topic|purpose|incident)\s*:\s*(\S.*)$", re.I)
SEVERITY_PART = re.compile(r"^(?:sev(?:erity)?|p|priority)\s*-?\s*\d$", re.I)


def channel_topic(body: str) -> tuple[str, str]:
    """The incident's name from a chat export's topic line, where its opening names a channel,
    or from the incident bot's message that declared it."""
    opening = body.split("\n")[:80]
    lines = opening_lines(body, 12)
    # (An archive's page may open on the workspace and its channel list, then the channel's heading.)
    if not any(CHANNEL_NAME.search(line) for line in lines[:2]) and not any(CHANNEL_ONLY.match(line) for line in lines):
        return "", ""
    lines = lines[:6]
    for line in lines:
        topic = CHANNEL_TOPIC.match(line)
        if topic:
            parts = [p.strip() for p in re.split(r"\s+\|\s+", topic.group(1))]
            named = [p for p in parts if names_words(p) and not SEVERITY_PART.match(p) and not PLAIN_LABEL.match(p)]
            return (named[0], "chat: channel topic") if named else ("", "")
    for line in opening:
        declared = DECLARED.search(line.replace("**", ""))
        if declared:
            # Of its parts ("Sev2", "Lead: Zainab"), the one it quotes or stresses is the name.
            named = [m.group(1) or m.group(2) for p in DECLARED_PARTS.split(declared.group(2)) if (m := QUOTED_PART.match(p.strip()))]
            if named and names_words(named[0]):
                return f"{declared.group(1)} {named[0].strip()}", "chat: incident declared"
    return "", ""


# An incident bot's message in the channel: 'INC-2291 opened by @Dara Whelan — Sev2 — "checkout
# returning 5xx"', "Incident LF-INC-0612 declared — *label creation timing out* — Sev2".
DECLARED = re.compile(
    r"\b(?:incident\s+)?((?-i:[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-\d+))\s+(?:opened|declared|created|started)\b"
    r"(?:\s+by\s+@?[\w.-]+(?:\s+[\w.-]+)?)?\s*[—–|·]\s*(\S.*)$",
    re.I,
)
DECLARED_PARTS = re.compile(r"\s[—–|·]\s")
QUOTED_PART = re.compile(r'^(?:["“]([^"“”]+)["”]|[*_]{1,2}([^*_]+)[*_]{1,2})$')


# A shift's or an on-call week's handover note ("Shift handover - Sat 14 Sep - Days -> Nights",
# "Control Centre IT — Shift Log & Handover"): the shift is no incident's name; the note's entry
# for the incident is ("## INC-7712 — Loss of North region telemetry", "*** MAJOR INCIDENT
# (resolved) - INC0418822 - CarePoint slow / timing out 13:20 - 15:05 ***").
HANDOVER = re.compile(r"\bhand[\s-]?over\b|\bshift\s+(?:log|report)\b", re.I)
INCIDENT_KEY = re.compile(r"\b(?:[A-Z]+-)*INC-?\d{3,}\b")
# The entry's own marks around the name: "INCIDENT", "MAJOR INCIDENT (resolved) -", "2. INCIDENT
# DURING SHIFT -", and after it the hours it ran and its state ("13:20 - 15:05", "RESOLVED").
ENTRY_OPENING = re.compile(r"^(?:\d{1,2}[.)]\s*)?(?:major\s+)?incident(?:\s+(?:during|this)\s+(?:the\s+)?shift)?(?:\s*\([^()]{1,30}\))?\s*[-–—:]?\s*", re.I)
ENTRY_HOURS = re.compile(r"\s*\(?\d{1,2}:\d{2}\s*(?:-|–|—|->|→|to)\s*\d{1,2}:\d{2}\)?\s*$")
ENTRY_STATE = re.compile(r"\s*[-–—]?\s*\(?\b(?:resolved|closed|open|monitoring|mitigated)\b[^()]{0,30}\)?\s*$", re.I)


def handover_incident(h1: str, body: str) -> tuple[str, str]:
    """The incident's name in a handover note: its entry's heading, bold line or line of its own
    that gives the incident's key and names it; ('', '') for any other document."""
    if not (HANDOVER.search(h1) or HANDOVER.search(subject_line(body)[0])):
        return "", ""
    lines = body.split("\n")
    for i, raw in enumerate(lines[:300]):
        if len(raw) > 300 or "INC" not in raw:  # an entry's line is short and gives its key
            continue
        heading = MD_HEADING.match(raw)
        line = strip_markdown(heading.group(2) if heading else raw).strip().strip("*").strip()
        if not INCIDENT_KEY.search(line) or HANDOVER.search(line):
            continue
        alone = all(not lines[j].strip() or RULE_LINE.match(lines[j].strip()) for j in (i - 1, i + 1) if 0 <= j < len(lines))
        if not (heading or BOLD_LINE.match(raw.strip()) or raw.strip().startswith("***") or alone) or LIST_ITEM.match(raw):
            continue
        # The hours and the state come in either order ("... 13:20 - 15:05 RESOLVED", "... (resolved) 01:00 -> 05:34").
        name = ENTRY_OPENING.sub("", line)
        for trailing in (ENTRY_HOURS, ENTRY_STATE, ENTRY_HOURS):
            name = trailing.sub("", name)
        name = name.strip(" -–—")
        if names_words(INCIDENT_KEY.sub("", name)) and len(name.split()) <= 20 and not name.endswith("."):
            return " ".join(name.split()), "handover: incident entry"
    return "", ""


SHORT_DESCRIPTION = re.compile(r"short\s+description", re.I)
# `.html.md` is a web page a static-site generator keeps as markdown.
FILE_EXTENSION = re.compile(r"(?:\.html)?" + extension_pattern(DOCUMENT_EXTENSIONS) + "$", re.I)
ICON_PREFIX = re.compile(rf"^[{ICON_CHARS}\u2e80-\u2eff\s]+(?=\w)")


# A record's "**Incident:** Cash Out failing during the cup final" line, where no heading names it;
# a problem record's "ABSTRACT: NIGHTLY INTEREST ACCRUAL NBIA410D ABEND S0C7 IN STEP040".
INCIDENT_LINE = re.compile(r"^(incident|abstract)\s*:\s*(.+)$", re.I)


# A record's field line, bold or in a list or not: "Status: Closed", "- **Priority:** High".
RECORD_FIELD = re.compile(rf"^(?:[-*]\s+)?{FIELD_KEY}:\s+\S")


def record_summary(body: str) -> tuple[str, str]:
    """The incident's name a ticket's "Summary" field gives among the record's fields at its top
    ("Incident ID: INC0044", "Summary: Booking engine oversold car deck", "Status: Closed"): a
    tracker's summary is the ticket's title. ('', '') where none, or where the summary is a
    sentence telling what happened."""
    raw = body.split("\n")[:60]
    lines = [(n, strip_markdown(line).strip()) for n, line in enumerate(raw) if line.strip()][:25]
    for i, (n, line) in enumerate(lines):
        summary = TICKET_SUMMARY.match(line.lstrip("-* "))
        if not summary or not any(RECORD_FIELD.match(lines[j][1]) for j in (i - 1, i + 1) if 0 <= j < len(lines)):
            continue
        value = cell_value(summary.group(1))
        # A value wrapped onto the next line is a paragraph, whatever its first line reads like.
        ends = n + 1 >= len(raw) or not raw[n + 1].strip() or RECORD_FIELD.match(strip_markdown(raw[n + 1]).strip())
        return (value, "label: Summary") if ends and names_words(value) and reads_as_title(value) else ("", "")
    return "", ""


NUMBERED_ANSWER = re.compile(r"^\d{1,2}(?:\.\d{1,2})*\.?[ \t]+(?=[A-Za-z])")
# A form's numbered question: "3.1 Title: Mobile banking login unavailable".
FORM_TITLE_FIELD = re.compile(r"^\d{1,2}\.\d{1,2}\.?[ \t]+(?:(?:incident|event)[ \t]+)?(title|name\s+of\s+the\s+incident)[ \t]*:[ \t]*(\S.*)$", re.I)


def form_title(body: str) -> tuple[str, str]:
    """The incident's name a regulator's or a register's form gives under its numbered "Title"
    question; ('', '') where it gives none."""
    for line in body.split("\n")[:120]:
        named = FORM_TITLE_FIELD.match(strip_markdown(line).strip())
        if named and names_words(named.group(2)) and reads_as_title(named.group(2).strip()):
            return named.group(2).strip(), f"form: {named.group(1).lower()}"
    return "", ""


def incident_line(body: str) -> tuple[str, str]:
    """The incident's name a record gives on its "Incident:" line: words, not an id ("INC-5302")
    or a sentence telling what happened."""
    for line in [line for line in body.split("\n") if line.strip()][:12]:
        named = INCIDENT_LINE.match(strip_markdown(line).strip())
        if named:
            value = re.split(r"\s+·\s+", named.group(2).strip())[0].strip()
            if names_words(value) and not value.endswith(".") and len(value.split()) <= 24:
                return value, f"label: {named.group(1).lower()}"
            return "", ""
    return "", ""


# An email's or a memo's subject line.
SUBJECT_LINE = re.compile(r"^(?:subject|subj|re)\s*:\s*(.+)$", re.I)
# Lines a document may open with that name no incident: a chat channel or log line, mail headers.
NOT_A_TITLE = re.compile(r"^(?:\[\d{1,2}:\d{2}|#\w|(?:from|to|cc|date|sent)\s*:|\d{1,2}:\d{2}\b)", re.I)


def subject_line(body: str) -> tuple[str, str]:
    """An email's or a memo's subject, where no heading names the incident."""
    lines = [line for line in body.split("\n") if line.strip()][:12]
    for i, line in enumerate(lines):
        subject = SUBJECT_LINE.match(strip_markdown(line).strip())
        if subject:
            text = subject.group(1).strip()
            if i + 1 < len(lines) and lines[i + 1][:1] in (" ", "\t") and not HEADER_FIELD.match(lines[i + 1].strip()):
                text = f"{text} {strip_markdown(lines[i + 1]).strip()}"  # a long subject folded onto the next line
            return REPLY_PREFIX.sub("", text).strip() or text, "subject line"
    return "", ""


# "Re: [rc-users] Talon outage": a reply's and a mailing list's marks, not the subject's words
# (a ticket key in brackets stays).
REPLY_PREFIX = re.compile(r"^(?:(?:re|fwd?|aw|wg)\s*:\s*|\[(?![A-Z][A-Z0-9]+-\d+\])[^\]\n]{1,40}\]\s*)+", re.I)


RULE_LINE = re.compile(r"^(?:-{3,}|={3,}|\*{3,}|_{3,})$")
BARE_LINK = re.compile(r"^(?:[\w -]{1,40}:\s*)?<?https?://\S+>?$")
TICKET_KEY_LINE = re.compile(r"^\[[A-Z][A-Z0-9]+-\d+\]\s+\S")


HTML_COMMENT_LINE = re.compile(r"^<!--.*-->$")
BOLD_LEAD = re.compile(r"^\*\*([^*\n]{5,150})\*\*[ \t]*(\S.*)$")
HEADER_FIELD = re.compile(rf"^{FIELD_KEY}:[ \t]+\S")


def is_section_heading(text: str) -> bool:
    """A heading that names or numbers a section ("Root cause", "4. Investigation and wrong
    tracks"), not the document."""
    return bool(classify_label(text) or re.match(r"\d{1,2}[.)]\s", text.strip()))


def opening_title(body: str) -> tuple[str, str]:
    """The body with its opening line made its title heading, where the document has none and
    that line stands alone, short, as a heading would ("**Harrowgate Mutual — mobile banking
    login failures, 11 March 2026**", a first `## ...` heading that names no section); with
    where the title came from. The body unchanged, and '', where it has a title heading or opens
    straight into the story: the line is then neither the title nor a part of the story."""
    lines = body.split("\n")
    # A rule above it (an export's banner) is no line of the document, nor is a comment markdown
    # never shows ("<!-- reveal.js deck, exported from ... -->").
    i = next((n for n, line in enumerate(lines) if line.strip() and not RULE_LINE.match(line.strip()) and not HTML_COMMENT_LINE.match(line.strip())), None)
    # A title heading further down is the title ("Quillpay Status" over "# Elevated latency ..."),
    # and so is a memo's subject line.
    # (A top heading that is a section, "# 1. Summary" in a word processor's export, is none.)
    if i is None or any(line.startswith("# ") and not is_section_heading(line[2:]) for line in lines) or subject_line(body)[0]:
        return body, ""
    first = lines[i].strip()
    lead = BOLD_LEAD.match(first)
    if lead:
        # "**Subscriber import incident, Tuesday 7 May.** Written up by ...": a memo's bold
        # opening words name it, and the rest of the paragraph is its story.
        name = strip_markdown(lead.group(1)).strip().rstrip(".").strip()
        if len(name.split()) >= 2 and ":" not in name and reads_as_title(name):
            return "\n".join([*lines[:i], f"# {name}", "", lead.group(2), *lines[i + 1:]]), "bold lead"
    heading = MD_HEADING.match(first)
    heading = heading if heading and len(heading.group(1)) > 1 else None
    text = strip_markdown(heading.group(2) if heading else first).strip()
    if not text or classify_label(text) or TIME_HEADING.match(text) or NOT_A_TITLE.match(text) or "===" in text:
        return body, ""
    if BARE_LINK.match(text):
        return body, ""  # "Internal post-mortem: https://...": where the write-up lives, not its name
    # A ticket export opens on its key and summary ("[OPS-4821] Checkout API returning 500s") over its fields.
    # So does a note's first line over its header fields ("author: r.mbeki / reviewed: ...").
    alone = (i + 1 >= len(lines) or not lines[i + 1].strip() or bool(TICKET_KEY_LINE.match(first))
             or bool(HEADER_FIELD.match(lines[i + 1])))
    if not heading and not (alone and len(text.split()) >= 2 and not text.endswith(";") and reads_as_title(text)):
        return body, ""
    return "\n".join([*lines[:i], f"# {text}", *lines[i + 1:]]), "heading: first" if heading else "first line"


MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
# "On 12 March 2024", "March 12, 2024", "12th of March, 2024": the date as a summary writes it.
WRITTEN_DATE = re.compile(
    rf"\b(?:(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+((?:19|20)\d\d)|{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+((?:19|20)\d\d))\b",
    re.I,
)


def is_subject_line(value: str) -> bool:
    """A letter's subject under a cause's name ("Reason for Outage: EU region service disruption
    on 3 October 2024"): a few words that end on the incident's date, no cause told."""
    value = strip_markdown(value).strip(" .")
    return 0 < len(value.split()) <= 12 and any(m.end() == len(value) for p in (DATE_RE, WRITTEN_DATE) for m in p.finditer(value))


def first_date(text: str) -> str:
    """The first date in the text, written as digits (2024-03-12) or in words (12 March 2024),
    as YYYY-MM-DD; '' for none. A summary's "On 12 March 2024" comes before the timeline, whose
    first row may be a precursor days earlier."""
    found = []
    m = DATE_RE.search(text)
    if m:
        found.append((m.start(), "-".join(m.groups())))
    for w in WRITTEN_DATE.finditer(text):
        day, month, year = (w.group(1), w.group(2), w.group(3)) if w.group(1) else (w.group(5), w.group(4), w.group(6))
        try:
            found.append((w.start(), datetime.date(int(year), MONTHS.index(month[:3].lower()) + 1, int(day)).isoformat()))
            break
        except ValueError:  # "31 February"
            continue
    return min(found)[1] if found else ""


def pick_date(props: dict, by_field: dict, source_id: str, title: str, body: str, prop_origin) -> tuple[str, str]:
    for key in ("date", "start_time", "started_at", "incident_date", "created", "source_published_at"):
        value = props.get(key)
        if value:
            m = DATE_RE.search(str(value))
            if m:
                return "-".join(m.groups()), prop_origin(key)
    for b in by_field.get("date", []):
        m = DATE_RE.search(b.text)
        if m:
            return "-".join(m.groups()), f"{BLOCK_ORIGIN[b.kind]}: {b.label}"
    # "uni_2026-09-28_portal.txt": an underscore joins words, so a date there has no word boundary.
    for text, origin in ((PurePosixPath(source_id).name.replace("_", " "), "file name"), (title, "title"), (body[:3000], "prose")):
        date = first_date(text)
        if date:
            return date, origin
    m = PM_YEAR.match(PurePosixPath(source_id).name)
    return (m.group(1), "file name") if m else ("", "")


def listed_under(text: str) -> str:
    """A label's value up to a numbered line, where it opens with a list of names on the label's
    line ("ceph-prod, radosgw, media upload" over "1. Summary"): the numbered line is the next
    section of the form, no more names. A value that leads into its list keeps it whole."""
    first = text.lstrip(" \t").split("\n", 1)[0].rstrip()
    if not first or first[0] in "-*+|#0123456789" or "," not in first or first.endswith(":"):
        return text
    numbered = re.search(r"^[ \t]*\d{1,2}[.)][ \t]", text, re.M)
    return text[: numbered.start()] if numbered else text


def pick_services(
    props: dict, by_field: dict, title: str, impact: str, summary: str, prop_origin, cause: str = "", opening: str = "",
    body: str = "",
) -> tuple[list[str], str]:
    for key in SERVICE_META_KEYS:
        value = props.get(key)
        if isinstance(value, dict):
            # "affected: {services: [...], regions: [...]}": the list its own key names.
            value = next((v for k in SERVICE_META_KEYS if (v := value.get(k)) and isinstance(v, (str, list))), None)
        if value:
            values = value if isinstance(value, list) else re.split(r"[,;]\s*", str(value))
            found = [norm_service(v) for v in values if str(v).strip()]
            if found:
                return dedupe(found), prop_origin(key)
    # A list set in a quote ("> - POS card authorisation") is the same list.
    labelled = QUOTE_LINE.sub("", "\n".join(listed_under(ANGLE_GUIDANCE.sub("", b.text)) for b in by_field.get("services", [])))
    if labelled:
        listed = [ITEM_CLAUSE.sub("", i) for i in list_items(labelled) if not NOT_AFFECTED.search(i)]
        # Commas inside brackets are the aside's: "log-search cluster (Elasticsearch, 9 nodes)".
        # Each block on its own: a record's "Service: X" line and an "Affected: A, B and C"
        # sentence are two lists, and a name's gloss runs to its line's end, not the next block's.
        # Its first sentence names them; the ones after say what kept working or why.
        # A sentence ends at ". " even before a lower-case name: "..., scheduled rides. surge-svc was healthy".
        items = listed or [
            item for b in by_field["services"]
            for item in re.split(r"[,;]\s*(?![^()]*\))", re.split(r"(?<=\w)\.\s", (sentences(without_unaffected(ANGLE_GUIDANCE.sub("", b.text))) or [""])[0], maxsplit=1)[0])
        ]
        # "**upload-api** — accepts uploads": the name, not what the writer says it does. Two
        # names a spaced slash or dot parts ("TimeKeeper (time recording) / Billing interface",
        # "RDAP · WHOIS (port 43)") are two.
        items = [UNCLOSED_ASIDE.sub("", ITEM_GLOSS.sub("", part)) for i in items for part in re.split(r"[ \t]+[/·•][ \t]+(?![^()]*\))", i)]
        names = [LEAD_IN.sub("", TRAILING_ASIDE.sub("", i.strip().rstrip(".")).strip()) for i in items]
        # "`marts.attribution_daily`, `marts.channel_roas`": one item, two names.
        names = [part for n in names for part in (SINGLE_WORDS.split(n) if SINGLE_WORD_LIST.fullmatch(n) else [n])]
        # A sentence's list: "reminder-scheduler and the reminders feature" is two names ("file
        # and print servers" one), and ", which reads the same replica" says what the name
        # before it does.
        names = [TRAILING_ASIDE.sub("", part).strip(" \t,;") for n in names for part in (LIST_AND.split(n) if len(n) < 120 else [n])]
        # "log uploads and artifact uploads" is two names where each side has words of its own
        # ("file and print servers", "access to head-office file and print servers" share a head noun: one).
        names = [TRAILING_ASIDE.sub("", part) for n in names for part in (n.split(" and ") if len(n) < 120 and TWO_NAMES.fullmatch(ARTICLE.sub("", n)) else [n])]
        names = [LEAD_IN.sub("", n) for n in names if not RELATIVE_CLAUSE.match(n) and not RESTATED.match(n) and not WHEN_TOLD.search(n)]
        # "Live event playback (HLS and DASH) for the final": its aside goes with its where.
        names = [TRAILING_ASIDE.sub("", unqualified(n)) for n in names]
        # A status page's "Mobile sync · 17 March 2026": the date is when, not what.
        # A template's blank left in its list ("[SERVICE]") names nothing.
        found = [
            norm_service(n) for n in names
            if n and len(n) < 60 and not COLUMN_HEADER.match(n) and not WRITTEN_DATE.fullmatch(n.strip()) and not TEMPLATE_BLANK.fullmatch(n.strip())
        ]
        if found:
            return dedupe(found), blocks_origin(by_field, "services")
    impact, summary = lines_without_unaffected(impact), lines_without_unaffected(summary)
    status_lines = "\n".join([opening] + [b.text for b in by_field.get("status", [])])
    listed = inline_affected(status_lines) + product_labels(impact)
    for text in (impact, summary, opening):
        listed.extend(listed_services(text))
    found = []
    for text in (title, impact, summary, cause):
        found.extend(services_in(text))
    # A component the writer introduces by name, wherever in the story ("the matchmaker, which we
    # call mm-core internally").
    found.extend(norm_service(m.group(1) or m.group(2)) for m in INTRODUCED_NAME.finditer(body))
    if not listed and not found:
        # A story that names what broke nowhere in its summary, impact or cause still names it
        # as it tells what happened ("notification-service's pool ..."), the most often first.
        # Measured on the corpus's tuned organizations and the write-ups, from one mention up:
        # 0.388 and 0.525 (two: 0.379 and 0.524; three: 0.373 and 0.523; none: 0.364, 0.519).
        found = [name for name, _ in Counter(services_in(body)).most_common(4)]
    origin = "prose: listed as affected" if listed else "prose" if found else ""
    names = most_specific(dedupe(listed + found))
    # Told in passing, a technology the team runs on ("PostgreSQL", "DNS", "the load
    # balancer") is what broke inside one of its services, whether or not the story names the
    # service: kept where it was the only name, 6 of 90 were gold on the read write-ups, corpus
    # and samples.
    names = [n for n in names if n in listed or n not in TECHNOLOGY]
    # A host or a device ("dci-rtr-n1", "cards-pg-02", "prod-eu1") is where a story happened,
    # seldom what its readers lost: of such names found in prose on the read write-ups, the
    # corpus and the samples, 4 were in the gold and 42 not. Listed by the writer, it stays.
    names = [n for n in names if n in listed or not DEVICE_NAME.match(n)]
    names = dedupe([unqualified(n) for n in names])
    return names[:8], origin if names else ""


# "ip transit for customers homed on the Manchester PoP", "till prices in all stores", "label
# printing at Hamburg": the service, then who or where it failed for. The name is the first part,
# not where another name follows the place ("label printing at Hamburg and handheld scanners").
# On the read write-ups and fresh sets, services F1 0.526 -> 0.531 and 0.474 -> 0.520 (two of 35
# names lost a part the gold keeps: "builds on hz").
QUALIFIED = re.compile(r"^(.{3,}?)\s+(?:for|on|in|at)\s+(?!.*\sand\s)\S")


def unqualified(name: str) -> str:
    m = QUALIFIED.match(name[:200])  # a name and its gloss, not a paragraph
    return m.group(1) if m else name


# A hyphenated name whose last part holds a number, a version ("traefik-v2") aside.
DEVICE_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*-(?!v\d+$)[a-z]*\d[a-z0-9]*$")


LIST_AND = re.compile(r"\s+and\s+(?=(?:the|our|its|their|a|an)\s)", re.I)
TWO_NAMES = re.compile(r"(?!.*\b(?:to|at|of|on|in|for|from|via|with|between)\s.*\sand\s)(?![^()]*\([^()]*\sand\s[^()]*\))[^\s,]+(?:[ \t]+[^\s,]+)+[ \t]+and[ \t]+[^\s,]+(?:[ \t]+[^\s,]+)+", re.I)
ARTICLE = re.compile(r"^(?:the|our|its|their|a|an)\s+", re.I)
# "..., and so the log viewer", "..., including school-admissions": the words that lead in to a
# name are no part of it.
LEAD_IN = re.compile(r"^(?:and\s+)?(?:so|also|hence|thus|therefore|including|such\s+as|especially|notably)\s+(?=\S)", re.I)
# "the public ingress, i.e. all 27 tenant services ...": the name said again in other words.
RESTATED = re.compile(r"^(?:i\.?e\b|that\s+is\b|namely\b)", re.I)
# "from 14:22 to 15:11 UTC": when, not what.
WHEN_TOLD = re.compile(r"^(?:from|between|since|until|at|on)\s+\d|\b\d{1,2}:\d{2}\b", re.I)
RELATIVE_CLAUSE = re.compile(r"^(?:which|who|whose|that|where)\s", re.I)


TECHNOLOGY = frozenset({
    "dns", "load balancer", "cdn", "database", "postgresql", "postgres", "mysql", "redis", "kafka", "s3",
    "api server", "kubelet",
})


def most_specific(names: list[str]) -> list[str]:
    """Drop a name a known component found beside it spells out ("cloudwatch" beside
    "cloudwatch logs") and the singular of a singular/plural pair. Only known names:
    "payments-api-mtls" is a secret of the payments-api, not a more precise payments-api."""
    words = {n: re.findall(r"[a-z0-9]+", n) for n in names}
    out = []
    for n in names:
        w = words[n]
        longer = any(
            o != n and o in KNOWN_COMPONENTS and len(words[o]) > len(w)
            and any(words[o][i:i + len(w)] == w for i in range(len(words[o])))
            for o in names
        )
        if longer:
            continue
        twin = next((i for i, o in enumerate(out) if o.rstrip("s") == n.rstrip("s")), None)
        if twin is None:
            out.append(n)
        elif len(n) > len(out[twin]):
            out[twin] = n  # the plural: what was affected is usually the group ("worker nodes")
    return out


def services_in(text: str) -> list[str]:
    text = text or ""
    # A dotted name in backticks is code or a file name, and a snake_case one a setting or a
    # column (`max_connections`, `expires_at`) unless it ends like a service (`acct_db`);
    # a key or an id (`order-10231`, `INC-2291`) is a value.
    found = [
        (m.start(), m.group(1)) for m in QUOTED_SERVICE.finditer(text)
        if "." not in m.group(1) and ("_" not in m.group(1) or re.split(r"[-_]", m.group(1))[-1].lower() in SERVICE_SUFFIXES)
        and not re.search(r"[-_]\d{3,}$", m.group(1))
    ]
    # Quoted names are blanked out (same length, so positions keep their order) so that
    # `foo.bar-api` is not found again as `bar-api`.
    bare = QUOTED_SERVICE.sub(lambda m: " " * len(m.group(0)), text)
    for m in HYPHEN_CHAIN.finditer(bare):
        name = _service_prefix(m.group(0), bare[m.end():m.end() + 1])
        if name:
            found.append((m.start(), name))
    out = [norm_service(name) for _, name in sorted(found)]
    for m in NAMED_SERVICE.finditer(text):
        words = m.group(1).split()
        if len(words) == 1 and _sentence_start(text, m.start()):
            continue  # a capital at a sentence start ("Total service disruption") is no name
        while words and words[0].lower() in NOT_A_NAME:
            words = words[1:]
        if words:
            out.append(norm_service(" ".join(words)))
    out.extend(norm_service(m.group(1)) for m in NODE_GROUP.finditer(text))
    for m in NAMED_CLUSTER.finditer(text):
        if m.group(1).split()[0].lower() not in PLATFORM_WORDS | NOT_A_NAME:
            out.append(norm_service(m.group(1)))
    uses: dict[str, int] = {}  # how often each brand is written: counted once per text
    for m in KNOWN_NAME.finditer(text.lower()):
        known = KNOWN_SPELLING[re.sub(r"[-\s]", " ", m.group(1))]
        # A provider's own product is named with its brand ("Sablewire CDN", "Fernline load
        # balancer"): the brand is part of the name, as the writer wrote it.
        if known in TECHNOLOGY:
            known = " ".join([*_brand_before(text, m.start(), uses), known])
        out.append(known)
    return [s for s in out if not HOST_NAME.search(s)]


BRAND_BEFORE = re.compile(r"(?<![\w-])((?:[A-Z][a-z]+[A-Za-z]*[ \t]+){1,3})$")


def _brand_before(text: str, at: int, uses: dict[str, int]) -> list[str]:
    """The capitalised words a technology's name follows, lower case: its provider's brand
    ("Halcyon Managed" of "Halcyon Managed Postgres"), one the writer keeps using; none where a
    word is a day, a month, an article or a tool of its own ("Grafana MySQL")."""
    m = BRAND_BEFORE.search(text, max(0, at - 60), at)
    if not m:
        return []
    words = m.group(1).split()
    if any(NOT_A_PRODUCT.match(w) or w.lower() in NOT_A_NAME | PLATFORM_WORDS or KNOWN_NAME.fullmatch(w.lower()) for w in words):
        return []
    if words[0] not in uses:
        uses[words[0]] = len(re.findall(rf"(?<![\w-]){re.escape(words[0])}(?![\w-])", text))
    if uses[words[0]] < 3:
        return []  # "Shared Redis", once: a word of the sentence; a brand the writer keeps using
    return [w.lower() for w in words]


def _sentence_start(text: str, at: int) -> bool:
    """Whether `at` starts the text, a line, or a sentence (after `.`, `!`, `?` or `:` and a
    space). Reads back over the whitespace only: searching the whole text before each name
    is quadratic in a document full of them."""
    start = at
    while start and text[start - 1].isspace():
        start -= 1
    gap = text[start:at]
    return at == 0 or "\n" in gap or bool(gap) and text[start - 1:start] in (".", "!", "?", ":")


def _service_prefix(chain: str, after: str) -> str:
    """The longest leading part of `a-b-c` that ends in a service suffix, or ''. The whole
    chain counts only when a word character doesn't follow it (`cart-api_v2` is no name)."""
    parts = chain.split("-")
    last = len(parts) - 1 if not re.match(r"\w", after) else len(parts) - 2
    for j in range(last, 0, -1):
        if parts[j].lower() in SERVICE_SUFFIXES:
            if all(p.lower() in NOT_A_SERVICE_PREFIX for p in parts[:j]):
                return ""  # "per-service", "cross-service": how something applies, not what
            if any(p.lower() in PHRASE_WORDS for p in parts[1:j]):
                return ""  # "denial-of-service", "end-to-end-api": an English phrase, not a name
            return "-".join(parts[: j + 1])
    return ""


def norm_service(value) -> str:
    """Lower case, markup and a leading article out ("The student help desk" is the help desk,
    "and the bookings cluster" the last of a list); an underscore inside a name (`acct_db`) is
    part of it."""
    words = re.sub(r"[`*]|(?<!\w)_+|_+(?!\w)", "", str(value)).strip().lower().split()
    if len(words) > 1 and words[0] == "and":
        words = words[1:]
    return " ".join(words[1:] if len(words) > 1 and words[0] in ("the", "a", "an", "our") else words)


def dedupe(items: list[str]) -> list[str]:
    at: dict[str, int] = {}
    out: list[str] = []
    for item in items:
        if not item:
            continue
        # "ingress-controller" in one sentence and "ingress controller" in the next name one
        # component: listed once, as first written or as the component is known.
        key = re.sub(r"[-_\s]+", " ", item)
        if key not in at:
            at[key] = len(out)
            out.append(item)
        elif item in KNOWN_COMPONENTS:
            out[at[key]] = item
    return out


def category_hints(props: dict, by_field: dict, prop_origin) -> tuple[list[str], str]:
    hints, origins = [], []
    for key in ("root_cause_category", "category", "categories", "cause_category"):
        value = props.get(key)
        if isinstance(value, list):
            # Multi-label lists (e.g. ["cloud", "automation"]) only decide when unambiguous.
            if len(value) == 1:
                hints.append(str(value[0]))
                origins.append(prop_origin(key))
        elif value:
            hints.append(str(value))
            origins.append(prop_origin(key))
    for b in by_field.get("category", []):
        hint = strip_markdown(b.text).strip().split("\n")[0]
        if label_text(b.label).lower() == "category" and hint.strip(" .").lower() in DESK_AREAS:
            continue
        hints.append(hint)
        origins.append(f"{BLOCK_ORIGIN[b.kind]}: {b.label}")
    return hints, origins[0] if origins else ""


# A service desk's own "Category: Network" files a ticket by the area it was reported in, not by
# what set it off (an expired certificate filed under Network, a config push under Software): a
# bare area leaves the category to the cause. A category told as a cause ("Software bug",
# "Hardware failure") still names it.
DESK_AREAS = frozenset({"software", "network", "hardware"})
