"""@postmortem <question>: the evidence in the thread at once, the checked synthesis streamed
under it, finished with the Block Kit answer and its 👍/👎 buttons.

Bolt runs listeners on a thread pool. Each mention's listener retrieves (milliseconds) and
posts the evidence answer itself, so every question gets its evidence within a second
however many are waiting for the model. Generation runs on one worker thread of its own, in
arrival order: the model writes one synthesis at a time (llama.cpp contexts are not
thread-safe), and a queued mention says how many are ahead of it."""

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
        self._queue_lock = threading.Lock()
        self._queued = 0  # mentions whose synthesis is waiting for or being written

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
        user = event.get("user", "")
        question = question_text(event.get("text", ""))
        if not question:
            text, body = blocks.usage_message()
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=body)
            return None
        started = time.perf_counter()
        try:
            client.reactions_add(channel=channel, timestamp=event["ts"], name=ACK_REACTION)
        except Exception as exc:  # the reaction is a courtesy; the answer matters
            log.warning("could not add the reaction: %s", exc)
        try:
            earlier = self.answers.thread(channel, thread_ts)  # a follow-up's conversation so far
            evidence = self.answerer.evidence(question, sources=self.sources_for(channel), earlier=earlier)
        except Exception:
            self._apologize(client, user, channel, thread_ts, None, question, started)
            return None
        with self._queue_lock:
            ahead = self._queued
            self._queued += evidence.match  # no close match: nothing to generate, no wait
        text, body = blocks.evidence_message(evidence.text, generating=evidence.match, ahead=ahead)
        try:
            reply_ts = client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=body)["ts"]
        except Exception:
            with self._queue_lock:
                self._queued -= evidence.match
            raise
        if not evidence.match:
            self._finish(client, user, channel, thread_ts, reply_ts, question, evidence, started, generate=False)
            return None
        return self.worker.submit(self._finish, client, user, channel, thread_ts, reply_ts, question, evidence, started)

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
        answer_id = self._store(answer, user, channel, thread_ts, reply_ts, question, started)
        return self.enrich(answer), answer_id

    def _store(self, answer: dict, user, channel, thread_ts, reply_ts, question, started, error_id: str = "") -> int:
        return self.answers.add(
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
            error_id=error_id,
            latency_ms=round(1000 * (time.perf_counter() - started)),
        )

    def _finish(self, client, user, channel, thread_ts, reply_ts, question, evidence, started, generate=True) -> None:
        """The synthesis streamed under the evidence, then the final answer with its buttons.
        A failed generation leaves the evidence standing, with the error id."""
        summary_error = ""
        try:
            try:
                if generate:
                    render = lambda text: blocks.evidence_message(evidence.text, synthesis=text)  # noqa: E731
                    with StreamingReply(client, channel, reply_ts, self.budget, self.stream_interval, render) as stream:
                        answer = self.answerer.generate(evidence, on_token=stream.on_token).to_dict()
                else:
                    answer = self.answerer.generate(evidence).to_dict()
            except Exception:
                summary_error = uuid.uuid4().hex[:8]
                log.exception("generation failed (error id %s) for %r", summary_error, question)
                answer = self.answerer.finish(evidence, "").to_dict()
            finally:
                if generate:
                    with self._queue_lock:
                        self._queued -= 1
            answer_id = self._store(answer, user, channel, thread_ts, reply_ts, question, started, summary_error)
            messages = blocks.answer_messages(self.enrich(answer), answer_id, summary_error=summary_error)
            text, body = messages[0]
            self.budget.take(channel)
            client.chat_update(channel=channel, ts=reply_ts, text=text, blocks=body)
            for text, body in messages[1:]:
                # The buttons sit in the last message: that is the one votes point at.
                last_ts = client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=body)["ts"]
                self.answers.set_message_ts(answer_id, last_ts)
        except Exception:
            self._apologize(client, user, channel, thread_ts, reply_ts, question, started)

    def _apologize(self, client, user, channel, thread_ts, reply_ts, question, started) -> None:
        """The channel gets an error id; the traceback goes to the log under it."""
        error_id = uuid.uuid4().hex[:8]
        log.exception("answering failed (error id %s) for %r", error_id, question)
        text, body = blocks.error_message(error_id)
        try:
            if reply_ts is None:
                reply_ts = client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=body)["ts"]
            else:
                self.budget.take(channel)
                client.chat_update(channel=channel, ts=reply_ts, text=text, blocks=body)
            self.answers.add(
                user=user, channel=channel, thread_ts=thread_ts, message_ts=reply_ts, question=question,
                error_id=error_id, latency_ms=round(1000 * (time.perf_counter() - started)),
            )
        except Exception:
            log.exception("could not report failure %s", error_id)
