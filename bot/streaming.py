"""Stream a generated answer into one threaded Slack message, within Slack's edit budget.

Tokens arrive far faster than Slack accepts edits (chat.update is limited to about 50 a
minute per channel), so the generator only appends to a buffer and a ticker thread pushes
the first words at once and then the text at most once per `interval` seconds, and only
when it changed. A slow or refused update never slows generation down.

Every edit the bot makes in a channel (streamed text, final answers, job progress) draws on
one per-channel budget: interim edits are skipped when it runs low, so final answers, which
wait for a slot, always have room."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from slack_sdk.errors import SlackApiError

from bot import blocks

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 1.5  # seconds between edits of one message
POLL = 0.1  # how often the ticker looks for new text
PER_MINUTE = 45  # edits per channel per minute, under Slack's ~50
RESERVE = 15  # of those, kept for final versions (interim edits stop at 30/minute)


class UpdateBudget:
    """chat.update calls per channel over the last minute."""

    def __init__(self, per_minute: int = PER_MINUTE, reserve: int = RESERVE):
        self.per_minute = per_minute
        self.reserve = reserve
        self._times: dict[str, deque] = {}
        self._cond = threading.Condition()

    def _used(self, channel: str, now: float) -> deque:
        times = self._times.setdefault(channel, deque())
        while times and now - times[0] >= 60:
            times.popleft()
        return times

    def try_take(self, channel: str) -> bool:
        """An interim edit: True if there is room beyond the reserve (and counts it)."""
        with self._cond:
            now = time.monotonic()
            times = self._used(channel, now)
            if len(times) >= self.per_minute - self.reserve:
                return False
            times.append(now)
            return True

    def take(self, channel: str) -> None:
        """A final edit: waits for a slot (at most a minute)."""
        with self._cond:
            while True:
                now = time.monotonic()
                times = self._used(channel, now)
                if len(times) < self.per_minute:
                    times.append(now)
                    return
                self._cond.wait(max(0.05, 60 - (now - times[0])))


class StreamingReply:
    """`render(text so far) -> (fallback text, blocks)` draws each version; by default the
    text alone with a cursor."""

    def __init__(self, client, channel: str, ts: str, budget: UpdateBudget, interval: float = DEFAULT_INTERVAL,
                 render=None):
        self.render = render or blocks.streaming_message
        self.client = client
        self.channel = channel
        self.ts = ts
        self.budget = budget
        self.interval = interval
        self.updates = 0
        self._parts: list[str] = []
        self._shown = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._run, name=f"stream-{ts}", daemon=True)

    def __enter__(self) -> "StreamingReply":
        self._ticker.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._ticker.join()

    def on_token(self, piece: str) -> None:
        with self._lock:
            self._parts.append(piece)

    def text(self) -> str:
        with self._lock:
            return "".join(self._parts)

    def _run(self) -> None:
        # The first words go out as soon as they exist; later edits at most once per interval.
        last_edit = None
        while not self._stop.wait(POLL):
            if last_edit is not None and time.monotonic() - last_edit < self.interval:
                continue
            text = self.text()
            if text.strip() == self._shown.strip() or not self.budget.try_take(self.channel):
                continue
            fallback, body = self.render(text)
            last_edit = time.monotonic()
            try:
                self.client.chat_update(channel=self.channel, ts=self.ts, text=fallback, blocks=body)
                self._shown = text
                self.updates += 1
            except SlackApiError as exc:
                # A refused interim edit is harmless: the final message replaces it. Back off
                # if Slack says we are too fast.
                log.warning("streaming update refused: %s", exc.response.get("error"))
                if exc.response.status_code == 429:
                    self.interval *= 2
