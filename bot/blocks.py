"""Block Kit builders. Every message built here fits Slack's limits (section text <= 3000
characters, button text <= 75, <= 50 blocks per message, <= 100 per Home view); text that
does not fit one message is split over several."""

from __future__ import annotations

from urllib.parse import urlparse

from pipeline.text import clip


def clip_line(text: str, limit: int) -> str:
    """One line of at most `limit` characters (Slack's hard limits: cut exactly)."""
    return clip(text, limit, at_word=False)


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, line breaks kept."""
    return clip(text, limit, one_line=False, at_word=False)

SECTION_MAX = 3000
BUTTON_TEXT_MAX = 75
MESSAGE_BLOCKS_MAX = 50
HOME_BLOCKS_MAX = 100
FALLBACK_TEXT_MAX = 3000  # the notification text; Slack allows 40k but nobody reads that

# The feedback buttons. Each has its own action_id (two buttons in one block can't share one)
# and its own listener (Bolt never acks an action nobody listens to).
VOTE_UP = "feedback_up"
VOTE_DOWN = "feedback_down"
SHARE = "share_answer"  # on a private (/postmortem) answer: post it to the channel
CORRECTION = "correction"  # the 👎 modal's callback_id
MODAL_TITLE_MAX = 24
OPTION_TEXT_MAX = 75
CAUSE_MAX = 500  # a corrected root cause: a sentence or two, like the parser's

# What a 👎 can say was wrong (value, label).
WRONG = (
    ("wrong-incident", "It cited the wrong incident"),
    ("wrong-cause", "The root cause is wrong"),
    ("wrong-category", "The category is wrong"),
    ("not-helpful", "Not helpful"),
)

USAGE = (
    "Ask me about past incidents, for example:\n"
    "• `@postmortem payments API returning 502s after a deploy, what fixed it last time?`\n"
    "• `@postmortem kafka consumer lag on the ledger writer`\n"
    "I answer in the thread with the most similar post-mortems and how they were fixed.\n"
    "Ask `/postmortem <question>` for an answer only you see, or send me a direct message. "
    "In a thread I answered, reply with a follow-up question (\"and how did we detect it?\") "
    "without mentioning me.\n"
    "Admins: `/postmortem-sync [source|all] [allow_mass_delete]`, `/postmortem-retrain`; everyone: `/postmortem-status`."
)

# Replies to slash commands and clicks (ephemeral).
THANKS_UP = "Thanks, noted."
THANKS_DOWN = "Thanks, noted: this helps us improve the answers."
ANSWER_GONE = "Sorry, I no longer have that answer on record, so the vote was not stored."
PRIVATE_LOOKING = "Looking through past incidents… (only you can see this answer)"
CORRECTION_NEEDS_WHAT = "Pick what was wrong."
SOURCES_NONE = "No sources are configured: add them to postmortem.toml (see the README)."


def unknown_source(target: str, names: list[str]) -> str:
    listed = ", ".join(f"`{n}`" for n in names) or "none configured"
    return f"I don't know a source called `{escape(target)}`. Sources: {listed}, or `all`."


def admins_only(what: str) -> str:
    return (
        f"Sorry, only postmortem admins can run a {what}. "
        "Ask one of them, or see `/postmortem-status` for what is running."
    )


def job_busy(kind: str) -> str:
    return f"A {kind} is already running; one at a time."


def job_started(kind: str, job_id: int) -> str:
    return f"Started {kind} job #{job_id}. I'll keep its progress up to date here."


def escape(text: str) -> str:
    """Slack mrkdwn treats &, < and > as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_text(text: str, limit: int = SECTION_MAX) -> list[str]:
    """Cut text into pieces of at most `limit` characters, preferring paragraph, then line,
    then word boundaries."""
    pieces = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), 0)
        if cut < limit // 2:
            cut = window.rfind("\n")
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces or [""]


def section(text: str) -> dict:
    assert len(text) <= SECTION_MAX, len(text)
    return {"type": "section", "text": {"type": "mrkdwn", "text": text or " "}}


def sections(text: str) -> list[dict]:
    return [section(piece) for piece in split_text(text)]


def context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:SECTION_MAX]}]}


def header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150], "emoji": True}}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    out = {
        "type": "button",
        "text": {"type": "plain_text", "text": text[:BUTTON_TEXT_MAX], "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        out["style"] = style
    return out


def fallback(text: str) -> str:
    return text if len(text) <= FALLBACK_TEXT_MAX else text[: FALLBACK_TEXT_MAX - 1] + "…"


# -- answers ---------------------------------------------------------------------------------


def streaming_message(partial: str) -> tuple[str, list[dict]]:
    """What the threaded reply shows while tokens arrive: the text so far and a cursor. Only
    the tail is shown if the answer has outgrown one section (the final message has it all)."""
    body = escape(partial.strip())
    if len(body) > SECTION_MAX - 10:
        body = "…" + body[-(SECTION_MAX - 12):]
    text = (body + " ▍") if body else "_looking through past incidents…_"
    return fallback(partial or "looking…"), [section(text)]


def looking_message() -> tuple[str, list[dict]]:
    return streaming_message("")


SUMMARY_LABEL = "_Summary, each sentence checked against the incidents it cites:_ "


def evidence_message(evidence: str, synthesis: str | None = None, *, generating: bool = True,
                     ahead: int = 0) -> tuple[str, list[dict]]:
    """The reply while the synthesis is on its way: the evidence answer first, then the
    checked sentences so far (with a cursor) or where the question stands in the queue."""
    body = sections(escape(evidence))
    if synthesis and synthesis.strip():
        tail = escape(synthesis.strip())
        room = SECTION_MAX - len(SUMMARY_LABEL) - 10
        if len(tail) > room:
            tail = "…" + tail[-room:]
        body.append(section(SUMMARY_LABEL + tail + " ▍"))
    elif generating:
        waiting = f" (after {ahead} other question{'s' * (ahead != 1)})" if ahead else ""
        body.append(context(f"_Writing a short summary from these incidents{waiting}…_"))
    return fallback(evidence), body[:MESSAGE_BLOCKS_MAX]


def answer_messages(
    answer: dict, answer_id: int, summary_error: str = "", *, private: bool = False, shared_by: str | None = None
) -> list[tuple[str, list[dict]]]:
    """The final answer as one or more messages (text, blocks): the evidence, the checked
    synthesis, the category line, the sources, open action items and the 👍/👎 buttons. The
    first message replaces the streamed reply; the sources and the buttons go at the end of the
    last one. `private`: an ephemeral answer, with a button that shares it; `shared_by`: the
    user who shared it to the channel."""
    if answer.get("evidence"):
        body = sections(escape(answer["evidence"]))
        if answer.get("synthesis"):
            body += sections(SUMMARY_LABEL + escape(answer["synthesis"]))
        elif summary_error:
            body.append(context(f":warning: The summary could not be written (error id `{summary_error}`); "
                                "the evidence above is from the incidents themselves."))
        elif answer.get("match"):
            body.append(context("_No generated sentence was supported by these incidents, so none is shown._"))
    else:
        body = sections(escape(answer.get("answer") or "_(the model gave no text; see the sources below)_"))
    meta = [context(_meta_line(answer))]
    buttons = [button("👍 Helpful", VOTE_UP, str(answer_id)), button("👎 Not helpful", VOTE_DOWN, str(answer_id))]
    if private:
        buttons.append(button("Share to channel", SHARE, str(answer_id), style="primary"))
    tail = _source_blocks(answer.get("sources") or []) + _action_item_blocks(answer.get("action_items") or [])
    tail += [{"type": "actions", "block_id": f"feedback:{answer_id}", "elements": buttons}]
    if shared_by:
        tail.append(context(f"Shared by <@{shared_by}> from an answer only they could see."))
    blocks = body + meta + tail
    messages = []
    # Pack into messages of at most 50 blocks; the tail (sources + buttons) stays together.
    while len(blocks) > MESSAGE_BLOCKS_MAX:
        cut = min(MESSAGE_BLOCKS_MAX, len(blocks) - len(tail) - len(meta))
        messages.append(blocks[:cut])
        blocks = blocks[cut:]
    messages.append(blocks)
    text = fallback(answer.get("answer") or "answer")
    return [(text if i == 0 else "(continued)", m) for i, m in enumerate(messages)]


def _meta_line(answer: dict) -> str:
    parts = []
    if answer.get("root_cause_category"):
        parts.append(f"Root cause category: *{escape(answer['root_cause_category'])}*")
    if answer.get("confidence") is not None:
        # What the number is: the chance the category is right, and what it was fitted on.
        calibrated = (f"calibrated on {answer['calibrated_on']} held-out answers" if answer.get("calibrated_on")
                      else "not yet calibrated")
        parts.append(f"Confidence the category is right: *{answer['confidence']:.0%}* ({calibrated})")
    if answer.get("similarity") and answer.get("sources"):
        parts.append(f"Best match similarity {answer['similarity']:.2f}")
    if answer.get("model"):
        parts.append(f"Model: {escape(str(answer['model']))}")
    return "  ·  ".join(parts) or "No category"


def _source_blocks(sources: list[dict]) -> list[dict]:
    if not sources:
        return [context("No similar past incidents found.")]
    blocks = [{"type": "divider"}, section("*Similar past incidents*")]
    for i, src in enumerate(sources[:3], 1):
        title = escape(src.get("incident_title") or src.get("source_id") or "untitled")
        url = src.get("url") or ""
        link = f"<{url}|{title}>" if urlparse(url).scheme in ("http", "https") else f"*{title}*"
        line = f"*[{i}]* {link}"
        details = [d for d in (src.get("date"), _score(src.get("score"))) if d]
        if details:
            line += "  ·  " + "  ·  ".join(details)
        for label, key in ((src.get("cause_label") or "Root cause", "root_cause"), ("Fix", "fix")):
            if src.get(key):
                line += f"\n_{label}:_ " + escape(clip_line(src[key], 600))
        blocks.append(section(truncate(line, SECTION_MAX)))
    return blocks


def _action_item_blocks(items: list[dict]) -> list[dict]:
    """The first incident's action items; those that link a GitHub issue say whether it is
    still open (when a token lets the bot ask)."""
    if not items:
        return []
    known = [i for i in items if i.get("state")]
    head = "*Action items of [1]*"
    if known:
        still = sum(i["state"] == "open" for i in known)
        head += f"  ·  {still} of {len(known)} tracked in GitHub still open"
    lines = [head]
    for item in items[:10]:
        mark = {"open": ":large_green_circle: open", "closed": ":white_check_mark: closed"}.get(item.get("state"), "•")
        line = f"{mark} {escape(clip_line(item['text'], 280))}"
        if item.get("issue"):
            line += f"  ({escape(item['issue'])})"
        lines.append(line)
    if len(items) > 10:
        lines.append(f"_…and {len(items) - 10} more_")
    return [section(truncate("\n".join(lines), SECTION_MAX))]


def _score(score) -> str:
    return f"score {score:.2f}" if isinstance(score, (int, float)) else ""


def usage_message() -> tuple[str, list[dict]]:
    return "How to ask postmortem", [section(USAGE)]


def error_message(error_id: str) -> tuple[str, list[dict]]:
    text = (
        ":warning: Sorry, something went wrong while answering that. "
        f"The error id is `{error_id}` if you want to report it to the bot's admins."
    )
    return "Sorry, something went wrong", [section(text)]


def status(current: dict | None, last: dict | None, active: list[dict]) -> list[dict]:
    """`/postmortem-status`: the model in service, the last sync, running jobs."""
    model = (
        f"*Model:* {escape(current['name'])} (trained {current['trained_at']}, promoted {current['promoted_at']})"
        if current
        else "*Model:* the embedded base model (no fine-tuned model promoted yet)"
    )
    sync = (
        f"*Last sync:* {escape(last['source'])} {last['status']} at "
        f"{last['finished_at'] or last['started_at']}: {last['new'] or 0} new, "
        f"{last['updated'] or 0} updated, {last['excluded'] or 0} excluded, {last['errors'] or 0} errors"
        if last
        else "*Last sync:* never"
    )
    out = [section(model), section(sync)]
    if active:
        out.append(section("*Running jobs:*"))
        for job in active[:10]:
            out += job_message(job)[1]
    else:
        out.append(section("*Running jobs:* none"))
    return out


# -- jobs ------------------------------------------------------------------------------------


def job_message(job: dict) -> tuple[str, list[dict]]:
    """One message per job, updated in place as it progresses."""
    status = job["status"]
    icon = {
        "queued": ":hourglass:",
        "running": ":hourglass_flowing_sand:",
        "succeeded": ":white_check_mark:",
        "failed": ":x:",
        "cancelled": ":no_entry_sign:",
    }[status]
    title = f"{icon} *{job['kind']}* job #{job['id']} — {status}"
    # The config path is plumbing, not something the channel needs to read.
    args = {k: v for k, v in (job.get("args") or {}).items() if k != "config" and v is not None}
    if args:
        title += "  (" + ", ".join(f"{k}: {v}" for k, v in args.items()) + ")"
    blocks = [section(escape_keep_emoji(title))]
    if status in ("queued", "running"):
        blocks.append(context(_progress_line(job)))
    elif status == "succeeded":
        blocks += summary_blocks(job)
    else:
        blocks.append(section(escape(truncate(job.get("message") or "no details", 1500))))
        if job.get("result"):  # a sync whose every source failed still says how each did
            blocks += summary_blocks(job)
        if job.get("log_tail"):
            blocks.append(section("```" + escape(job["log_tail"][-1500:]) + "```"))
    return fallback(f"{job['kind']} job #{job['id']}: {status}"), blocks[:MESSAGE_BLOCKS_MAX]


def escape_keep_emoji(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _progress_line(job: dict) -> str:
    step, total = job.get("step") or 0, job.get("total") or 0
    bar = ""
    if total:
        filled = round(10 * min(step, total) / total)
        bar = "▓" * filled + "░" * (10 - filled) + f" {step}/{total}  "
    return bar + escape(job.get("message") or "")


def summary_blocks(job: dict) -> list[dict]:
    result = job.get("result") or {}
    if job["kind"] == "sync":
        return [section(escape(sync_summary(result)))]
    if job["kind"] == "retrain":
        return retrain_summary_blocks(result)
    return [section(escape(job.get("message") or ""))]


def sync_summary(result: dict) -> str:
    lines = []
    for s in result.get("sources", []):
        line = (
            f"• {s['source']}: {s.get('new', 0)} new, {s.get('updated', 0)} updated, "
            f"{s.get('unchanged', 0)} unchanged, {s.get('excluded', 0)} excluded"
        )
        if s.get("reasons"):
            line += " (" + ", ".join(f"{r}: {n}" for r, n in s["reasons"].items()) + ")"
        if s.get("deleted"):
            line += f", {s['deleted']} deleted upstream"
        if s.get("errors"):
            line += f", {s['errors']} errors"
            for source_id, error in (s.get("error_details") or [])[:3]:
                line += f"\n    – {source_id}: {clip_line(error, 200)}"
        if s.get("failed"):
            line += f"\n    – sync failed: {clip_line(s['failed'], 300)}"
        lines.append(line)
    if "indexed" in result:
        lines.append(f"Search index rebuilt: {result['indexed']} incidents.")
    return "\n".join(lines) or "Nothing to sync."


def retrain_summary_blocks(result: dict) -> list[dict]:
    promoted = result.get("promoted")
    verdict = (
        f":rocket: Model *{result.get('model_name', result.get('model_id'))}* was promoted and is now answering."
        if promoted
        else f":warning: The new model was *not* promoted: {result.get('gate_reason') or 'it did not beat the current one'}."
    )
    blocks = [section(escape_keep_emoji(verdict))]
    if result.get("eval"):
        blocks.append(section(eval_table(result["eval"])))
    train = result.get("train") or {}
    if train:
        blocks.append(
            context(
                f"{train.get('steps', '?')} training steps in {train.get('wall_s', 0):.0f} s"
                + (f", final loss {train['final_loss']:.3f}" if train.get("final_loss") is not None else "")
            )
        )
    return blocks


def eval_table(results: dict) -> str:
    """{system: {metric: value}} as a monospace table inside a code block."""
    systems = list(results)
    metrics = list(dict.fromkeys(m for s in systems for m, v in results[s].items() if isinstance(v, (int, float))))
    if not systems or not metrics:
        return "_no evaluation numbers_"
    width = max(len(s) for s in systems) + 2
    cols = [max(len(m), 6) + 2 for m in metrics]
    lines = ["".ljust(width) + "".join(m.rjust(c) for m, c in zip(metrics, cols))]
    for s in systems:
        row = s.ljust(width)
        for m, c in zip(metrics, cols):
            v = results[s].get(m)
            row += (f"{v:.3f}" if isinstance(v, (int, float)) else "–").rjust(c)
        lines.append(row)
    return _clip_block("```" + escape("\n".join(lines)) + "```")


def _clip_block(text: str) -> str:
    if len(text) <= SECTION_MAX:
        return text
    return text[: SECTION_MAX - 4] + "…```"


# -- corrections (the 👎 modal) ---------------------------------------------------------------


def correction_modal(answer: dict, answer_id: int, categories: list[str]) -> dict:
    """What was wrong, which incident, and optionally the right category or cause. The
    answer id travels in private_metadata; option values index the answer's sources."""
    sources = answer.get("sources") or []
    out = []
    if sources:
        options = [
            _option(f"[{i}] {src.get('incident_title') or src.get('source_id') or 'untitled'}", str(i - 1))
            for i, src in enumerate(sources[:3], 1)
        ]
        out.append(_input("incident", "Which incident is it about?", {
            "type": "static_select", "action_id": "value", "options": options, "initial_option": options[0],
        }))
    out.append(_input("what", "What was wrong?", {
        "type": "radio_buttons", "action_id": "value", "options": [_option(label, value) for value, label in WRONG],
    }))
    out.append(_input("category", "The right category (optional)", {
        "type": "static_select", "action_id": "value", "options": [_option(c, c) for c in categories[:100]],
    }, optional=True))
    out.append(_input("cause", "The right root cause (optional)", {
        "type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": CAUSE_MAX,
    }, optional=True))
    out.append(context("A correction is stored on the incident at once and used by the next retrain."))
    return {
        "type": "modal",
        "callback_id": CORRECTION,
        "private_metadata": str(answer_id),
        "title": {"type": "plain_text", "text": "What was wrong?"[:MODAL_TITLE_MAX]},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": out,
    }


def correction_values(view: dict) -> dict:
    """The submitted modal as {incident (index), what, category, cause}: None where empty."""
    state = (view.get("state") or {}).get("values") or {}

    def value(block: str):
        element = (state.get(block) or {}).get("value") or {}
        option = element.get("selected_option")
        return option["value"] if option else (element.get("value") or "").strip() or None

    incident = value("incident")
    return {
        "incident": int(incident) if incident is not None else None,
        "what": value("what"),
        "category": value("category"),
        "cause": value("cause"),
    }


def _option(text: str, value: str) -> dict:
    return {"text": {"type": "plain_text", "text": truncate(text, OPTION_TEXT_MAX)}, "value": value}


def _input(block_id: str, label: str, element: dict, optional: bool = False) -> dict:
    return {"type": "input", "block_id": block_id, "optional": optional,
            "label": {"type": "plain_text", "text": label}, "element": element}


# -- App Home --------------------------------------------------------------------------------

SPARK = "▁▂▃▄▅▆▇█"


def home_model(current: dict | None) -> list[dict]:
    if not current:
        return [section("*Model:* the embedded base model; no fine-tuned model has been promoted yet.")]
    return [
        section(
            f"*Model:* {escape(current['name'])}\n"
            f"Base: {escape(current.get('base_model') or '?')}  ·  trained {current['trained_at']}"
            f"  ·  in service since {current['promoted_at']}"
        )
    ]


def home_figures(figures: dict) -> list[dict]:
    """The served model's live figures: {label: value} from its latest eval run."""
    if not figures:
        return [context("No evaluation of the model in service yet: its figures appear after `postmortem eval`.")]
    return [section("*The model in service*  ·  " + "  ·  ".join(f"{label}: *{v:.0%}*" for label, v in figures.items()))]


def home_eval(runs: list[dict]) -> list[dict]:
    if not runs:
        return [section("*Evaluation:* no evaluation run yet (`postmortem eval` or `/postmortem-retrain`).")]
    latest = runs[0]
    out = [
        section(
            f"*Latest evaluation* (run #{latest['id']}, {latest['created_at']}, "
            f"{latest['n_incidents']} held-out incidents)"
        ),
        section(eval_table(latest["results"])),
    ]
    trend = trend_table(list(reversed(runs)))
    if trend:
        out += [section(f"*Trend over the last {len(runs)} runs*"), section(trend)]
    return out


def trend_table(runs: list[dict]) -> str:
    """One line per (system, metric): a sparkline over the runs, oldest first, and the
    first and latest values."""
    if len(runs) < 2:
        return ""
    series: dict[tuple[str, str], list[float | None]] = {}
    for i, run in enumerate(runs):
        for system, metrics in run["results"].items():
            for metric, value in metrics.items():
                if isinstance(value, (int, float)):
                    series.setdefault((system, metric), [None] * len(runs))[i] = float(value)
    if not series:
        return ""
    width = max(len(f"{s} {m}") for s, m in series) + 2
    lines = []
    for (system, metric), values in sorted(series.items()):
        known = [v for v in values if v is not None]
        line = f"{system} {metric}".ljust(width) + sparkline(values)
        line += f"  {known[0]:.3f} → {known[-1]:.3f}"
        lines.append(line)
    return _clip_block("```" + escape("\n".join(lines)) + "```")


def sparkline(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    lo, hi = min(known), max(known)
    out = ""
    for v in values:
        if v is None:
            out += " "
        elif hi == lo:
            out += SPARK[len(SPARK) // 2]
        else:
            out += SPARK[round((v - lo) / (hi - lo) * (len(SPARK) - 1))]
    return out


def home_corpus(stats: dict) -> list[dict]:
    def listing(counts: dict) -> str:
        return ", ".join(f"{escape(str(k or '?'))}: {v}" for k, v in counts.items()) or "none"

    return [
        section(
            f"*Corpus:* {stats['incidents']} incidents\n"
            f"By source: {listing(stats['by_source'])}\n"
            f"By category: {listing(stats['by_category'])}\n"
            f"Excluded: {sum(stats['excluded'].values())} ({listing(stats['excluded'])})"
        )
    ]


def home_jobs(recent: list[dict]) -> list[dict]:
    if not recent:
        return [section("*Recent jobs:* none yet")]
    lines = []
    for job in recent:
        when = job["finished_at"] or job["started_at"] or job["created_at"]
        line = f"#{job['id']} {job['kind']} — {job['status']} ({when})"
        if job["status"] in ("queued", "running") and job.get("total"):
            line += f" step {job['step']}/{job['total']}"
        elif job.get("message") and job["status"] == "failed":
            line += f": {job['message'][:200]}"
        lines.append("• " + escape(line))
    return [section("*Recent jobs*\n" + "\n".join(lines))]


def home_feedback(counts: dict, by_day: list[tuple[str, int, int]]) -> list[dict]:
    """Vote counts, and the trend as a text sparkline of the daily share of 👍 (a Home view
    can only show an image from a URL or an uploaded file; see the README)."""
    out = [
        section(
            f"*Feedback:* 👍 {counts['up']}  ·  👎 {counts['down']}  ·  "
            f"{counts['answers']} answers given, {counts['failures']} failed"
        )
    ]
    if len(by_day) >= 2:
        shares = [up / (up + down) for _, up, down in by_day]
        out.append(
            context(
                f"Share of 👍 by day, {by_day[0][0]} → {by_day[-1][0]}: `{sparkline(shares)}`  "
                f"{shares[0]:.0%} → {shares[-1]:.0%}"
            )
        )
    return out


def home_corrections(pending: list[dict], applied: int) -> list[dict]:
    """Corrections made since the model in service was trained (the next retrain learns
    them) and those it already learned from."""
    head = f"*Corrections:* {len(pending)} pending for the next retrain  ·  {applied} applied"
    lines = [head]
    for label in pending[-5:]:
        fields = ", ".join(
            f"{k.replace('_', ' ')} → {clip_line(label[k], 80)}" for k in ("root_cause_category", "root_cause") if label.get(k)
        )
        lines.append(
            f"• {escape(label['source_id'])}: {escape(label.get('what_was_wrong') or 'corrected')}"
            + (f" ({escape(fields)})" if fields else "")
            + (f" — <@{label['author']}>" if label.get("origin") == "slack" else "")
        )
    return [section(truncate("\n".join(lines), SECTION_MAX))]
