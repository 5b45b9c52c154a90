"""Block Kit builders. Every message built here fits Slack's limits (section text <= 3000
characters, button text <= 75, <= 50 blocks per message, <= 100 per Home view); text that
does not fit one message is split over several."""

from __future__ import annotations

from urllib.parse import urlparse

SECTION_MAX = 3000
BUTTON_TEXT_MAX = 75
MESSAGE_BLOCKS_MAX = 50
HOME_BLOCKS_MAX = 100
FALLBACK_TEXT_MAX = 3000  # the notification text; Slack allows 40k but nobody reads that

# The feedback buttons. Each has its own action_id (two buttons in one block can't share one)
# and its own listener (Bolt never acks an action nobody listens to).
VOTE_UP = "feedback_up"
VOTE_DOWN = "feedback_down"

USAGE = (
    "Ask me about past incidents, for example:\n"
    "• `@postmortem payments API returning 502s after a deploy, what fixed it last time?`\n"
    "• `@postmortem kafka consumer lag on the ledger writer`\n"
    "I answer in the thread with the most similar post-mortems and how they were fixed.\n"
    "Admins: `/postmortem-sync [source|all]`, `/postmortem-retrain`; everyone: `/postmortem-status`."
)


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


def answer_messages(answer: dict, answer_id: int, summary_error: str = "") -> list[tuple[str, list[dict]]]:
    """The final answer as one or more messages (text, blocks): the evidence, the checked
    synthesis, the category line, the sources and the 👍/👎 buttons. The first message
    replaces the streamed reply; the sources and the buttons go at the end of the last one."""
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
    tail = _source_blocks(answer.get("sources") or []) + [
        {
            "type": "actions",
            "block_id": f"feedback:{answer_id}",
            "elements": [
                button("👍 Helpful", VOTE_UP, str(answer_id)),
                button("👎 Not helpful", VOTE_DOWN, str(answer_id)),
            ],
        }
    ]
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
        for label, key in (("Root cause", "root_cause"), ("Fix", "fix")):
            if src.get(key):
                line += f"\n_{label}:_ " + escape(_clip(src[key], 600))
        blocks.append(section(_truncate(line, SECTION_MAX)))
    return blocks


def _score(score) -> str:
    return f"score {score:.2f}" if isinstance(score, (int, float)) else ""


def _clip(text: str, limit: int) -> str:
    """One line of at most `limit` characters."""
    return _truncate(" ".join(text.split()), limit)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def usage_message() -> tuple[str, list[dict]]:
    return "How to ask postmortem", [section(USAGE)]


def error_message(error_id: str) -> tuple[str, list[dict]]:
    text = (
        ":warning: Sorry, something went wrong while answering that. "
        f"The error id is `{error_id}` if you want to report it to the bot's admins."
    )
    return "Sorry, something went wrong", [section(text)]


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
        blocks.append(section(escape(_truncate(job.get("message") or "no details", 1500))))
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
                line += f"\n    – {source_id}: {_clip(error, 200)}"
        if s.get("failed"):
            line += f"\n    – sync failed: {_clip(s['failed'], 300)}"
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
