"""@postmortem <question>: acknowledge at once, stream the answer into the thread, finish
with the Block Kit answer and its 👍/👎 buttons.

Bolt runs listeners on a thread pool; generation runs on one worker thread of its own, so
the model answers one question at a time (llama.cpp contexts are not thread-safe) while the
pool stays free to acknowledge new mentions, commands and clicks at once."""

from __future__ import annotations

import html
import logging
import re
import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

from bot import blocks
from bot.streaming import StreamingReply, UpdateBudget
from storage.answers import AnswerStore

log = logging.getLogger(__name__)

MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
ACK_REACTION = "eyes"


def question_text(text: str) -> str:
    """The question in a mention: mentions removed, links back to their text, entities
    decoded."""
    text = MENTION.sub(" ", text or "")
    text = LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return " ".join(html.unescape(text).split())


class SeenEvents:
    """event_ids already handled. Slack redelivers an events_api envelope it thinks was not
    acknowledged, with the same event_id; answering it twice would post two answers."""

    def __init__(self, size: int = 2000):
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, event_id: str | None) -> bool:
        if not event_id:
            return True
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids[event_id] = None
            if len(self._ids) > self.size:
                self._ids.popitem(last=False)
            return True


class Answering:
    def __init__(
        self,
        answerer,
        answers: AnswerStore,
        budget: UpdateBudget,
        stream_interval: float = 1.5,
        sources_for: Callable[[str], list[str] | None] = lambda channel: None,
        enrich: Callable[[dict], dict] = lambda answer: answer,
    ):
        self.answerer = answerer
        self.answers = answers
        self.budget = budget
        self.stream_interval = stream_interval
        self.sources_for = sources_for  # channel -> the sources it may cite (None: all)
        self.enrich = enrich  # adds what the answer shows besides the model's text
        self.seen = SeenEvents()
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="answer")

    def on_mention(self, client, event: dict, event_id: str | None) -> Future | None:
        if not self.seen.first_time(event_id):
            log.info("event %s delivered again; already answered", event_id)
            return None
        return self.answer_message(client, event)

    def answer_message(self, client, event: dict) -> Future | None:
        """Answer a user's message in its thread, with the thread's earlier answers as
        context. A message is answered once, whichever events (app_mention, message.im)
        bring it."""
        if not self.seen.first_time(f"{event['channel']}:{event['ts']}"):
            return None
        channel = event["channel"]
        thread_ts = event.get("thread_ts") or event["ts"]
        question = question_text(event.get("text", ""))
        if not question:
            text, body = blocks.usage_message()
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=body)
            return None
        try:
            client.reactions_add(channel=channel, timestamp=event["ts"], name=ACK_REACTION)
        except Exception as exc:  # the reaction is a courtesy; the answer matters
            log.warning("could not add the reaction: %s", exc)
        text, body = blocks.looking_message()
        placeholder = client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=body)
        return self.worker.submit(
            self._answer, client, event.get("user", ""), channel, thread_ts, placeholder["ts"], question
        )

    def reload_model(self) -> Future:
        """Swap to the newly promoted model between two answers, never during one."""
        return self.worker.submit(self.answerer.reload)

    def close(self) -> None:
        self.worker.shutdown(wait=True, cancel_futures=True)

    def ask(self, user: str, channel: str, thread_ts: str, reply_ts: str, question: str, on_token=None) -> tuple[dict, int]:
        """Answer within what `channel` may cite, with the thread's earlier turns; store it.
        Runs on the worker thread. Returns (answer, answer id)."""
        started = time.perf_counter()
        earlier = self.answers.thread(channel, thread_ts) if thread_ts else []
        answer = self.answerer.ask(
            question, on_token=on_token, sources=self.sources_for(channel), earlier=earlier
        ).to_dict()
        answer_id = self.answers.add(
            user=user,
            channel=channel,
            thread_ts=thread_ts,
            message_ts=reply_ts,
            question=question,
            answer=answer.get("answer") or "",
            category=answer.get("root_cause_category") or "",
            confidence=answer.get("confidence"),
            sources=answer.get("sources"),
            model=answer.get("model") or "",
            latency_ms=round(1000 * (time.perf_counter() - started)),
        )
        return self.enrich(answer), answer_id

    def _answer(self, client, user: str, channel: str, thread_ts: str, reply_ts: str, question: str) -> None:
        started = time.perf_counter()
        try:
            with StreamingReply(client, channel, reply_ts, self.budget, self.stream_interval) as stream:
                answer, answer_id = self.ask(user, channel, thread_ts, reply_ts, question, on_token=stream.on_token)
            messages = blocks.answer_messages(answer, answer_id)
            text, body = messages[0]
            self.budget.take(channel)
            client.chat_update(channel=channel, ts=reply_ts, text=text, blocks=body)
            for text, body in messages[1:]:
                # The buttons sit in the last message: that is the one votes point at.
                last_ts = client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=body)["ts"]
                self.answers.set_message_ts(answer_id, last_ts)
        except Exception:
            error_id = uuid.uuid4().hex[:8]
            # The traceback goes to the log under the error id; the channel only gets the id.
            log.exception("answering failed (error id %s) for %r", error_id, question)
            text, body = blocks.error_message(error_id)
            try:
                self.budget.take(channel)
                client.chat_update(channel=channel, ts=reply_ts, text=text, blocks=body)
                self.answers.add(
                    user=user, channel=channel, thread_ts=thread_ts, message_ts=reply_ts, question=question,
                    error_id=error_id, latency_ms=round(1000 * (time.perf_counter() - started)),
                )
            except Exception:
                log.exception("could not report failure %s", error_id)
