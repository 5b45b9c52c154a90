"""Stream a generated answer into one threaded Slack message.

Tokens arrive far faster than Slack accepts edits (chat.update is limited to about 50 a
minute per channel), so the generator only appends to a buffer and a ticker thread pushes
the text at most once per `interval` seconds, and only when it changed. A slow or refused
update never slows generation down."""

from __future__ import annotations

import logging
import threading

from slack_sdk.errors import SlackApiError

from bot import blocks

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 1.5  # seconds between edits: 40/minute, under Slack's ~50/minute


class StreamingReply:
    def __init__(self, client, channel: str, ts: str, interval: float = DEFAULT_INTERVAL):
        self.client = client
        self.channel = channel
        self.ts = ts
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
        while not self._stop.wait(self.interval):
            text = self.text()
            if text.strip() == self._shown.strip():
                continue
            fallback, body = blocks.streaming_message(text)
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
