"""A small aiohttp server on 127.0.0.1 (free port) running in a background thread, with a
request log and faults injected on demand. The Notion and Confluence fakes build on it."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

from aiohttp import web


@dataclass
class Fault:
    kind: str  # "429", "500", "503", "slow", "malformed"
    match: str = ""  # substring of "METHOD /path?query"
    times: int | None = 1  # None: forever (the service is down)
    after: int = 0  # let this many matching requests through first
    retry_after: int = 1  # seconds, for 429
    delay: float = 2.0  # seconds, for "slow"


class FakeServer:
    def __init__(self):
        self.log: list[str] = []  # "METHOD /path?query" of every request, faulted ones included
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # Subclasses: the routes, and the error body their real service sends.
    def routes(self) -> list[web.RouteDef]:
        raise NotImplementedError

    def error(self, status: int, message: str) -> web.Response:
        return web.json_response({"message": message}, status=status)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- faults and the request log ------------------------------------------------------------

    def fault(self, kind: str, match: str = "", **kw) -> Fault:
        f = Fault(kind, match, **kw)
        with self._lock:
            self.faults.append(f)
        return f

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def count(self, match: str = "") -> int:
        with self._lock:
            return sum(match in line for line in self.log)

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()

    def _take_fault(self, line: str) -> Fault | None:
        with self._lock:
            self.log.append(line)
            for f in self.faults:
                if f.match not in line or f.times == 0:
                    continue
                if f.after > 0:
                    f.after -= 1
                    continue
                if f.times is not None:
                    f.times -= 1
                return f
        return None

    @web.middleware
    async def _middleware(self, request: web.Request, handler):
        fault = self._take_fault(f"{request.method} {request.path_qs}")
        if fault is None:
            return await handler(request)
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay)
            return await handler(request)
        if fault.kind == "malformed":
            return web.Response(status=200, text='{"object": "list", "results": [{"id": ', content_type="application/json")
        status = int(fault.kind)
        response = self.error(status, "rate limited" if status == 429 else "internal error")
        if status == 429:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self):
        started = threading.Event()
        errors: list[BaseException] = []

        def run():
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                app = web.Application(middlewares=[self._middleware])
                app.add_routes(self.routes())
                self._runner = web.AppRunner(app, access_log=None)
                loop.run_until_complete(self._runner.setup())
                site = web.TCPSite(self._runner, "127.0.0.1", 0)
                loop.run_until_complete(site.start())
                self.port = site._server.sockets[0].getsockname()[1]
            except BaseException as exc:  # surface start-up failures in the test thread
                errors.append(exc)
                started.set()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, daemon=True, name=type(self).__name__)
        self._thread.start()
        started.wait(10)
        if errors:
            raise errors[0]
        return self

    def __exit__(self, *exc):
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
