"""A fake OpenAI-compatible completions server (what vLLM, TGI and llama.cpp's server speak):
`POST /v1/completions`, streamed as server-sent events like the real API, or in one JSON body.
It answers every prompt with `reply`, split into word pieces, honours `max_tokens` (one piece
per token) and `stop`, and records each request body and its Authorization header.
`hold()` keeps every completion waiting until `release()`: a model that is busy for as long
as a test needs, with no clock involved."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time

from aiohttp import web

from tests.fakes.server import FakeServer


class FakeOpenAI(FakeServer):
    def __init__(self, reply: str = "Scale CoreDNS out, as in [1]."):
        super().__init__()
        self.reply = reply
        self.requests: list[dict] = []
        self.auth: list[str] = []
        self._open = threading.Event()
        self._open.set()

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def routes(self):
        return [web.post("/v1/completions", self.completions)]

    def error(self, status: int, message: str) -> web.Response:
        return web.json_response({"error": {"message": message, "type": "server_error", "code": status}}, status=status)

    async def completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        await asyncio.get_running_loop().run_in_executor(None, self._open.wait)
        self.requests.append(body)
        self.auth.append(request.headers.get("Authorization", ""))
        if not isinstance(body.get("prompt"), str) or not body.get("model"):
            return web.json_response({"error": {"message": "prompt and model are required"}}, status=400)
        pieces = re.findall(r"\S+\s*", self.reply)[: body.get("max_tokens") or 16]
        text = "".join(pieces)
        for stop in body.get("stop") or []:
            if stop in text:
                text = text[: text.index(stop)]
        base = {"id": "cmpl-fake", "object": "text_completion", "created": int(time.time()), "model": body["model"]}
        if not body.get("stream"):
            return web.json_response(
                {**base, "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": "stop"}]}
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        sent = ""
        for piece in pieces:
            if len(sent) >= len(text):
                break
            piece = piece[: len(text) - len(sent)]
            sent += piece
            chunk = {**base, "choices": [{"index": 0, "text": piece, "logprobs": None, "finish_reason": None}]}
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        final = {**base, "choices": [{"index": 0, "text": "", "logprobs": None, "finish_reason": "stop"}]}
        await response.write(f"data: {json.dumps(final)}\n\ndata: [DONE]\n\n".encode())
        await response.write_eof()
        return response
