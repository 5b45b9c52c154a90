"""A fake Slack for tests and benchmarks: the Web API methods the bot calls, the Socket Mode
WebSocket (hello, envelopes, acks, disconnect) and response_url endpoints, on a real local
socket. It runs an aiohttp server on its own thread, so the real slack_sdk / Bolt clients
talk to it exactly as they talk to Slack.

It is strict where Slack is: tokens must have the right prefix, Block Kit limits are
checked (an invalid message is refused with `invalid_blocks`), chat.update is rate limited
per channel, a response_url takes at most 5 posts, and the bot can't post in a channel it
isn't in (`CNOTIN`)."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

BOT_USER = "UBOT"
TEAM = "T0001"
APP_ID = "A0001"
NOT_IN_CHANNEL = "CNOTIN"
UPDATE_LIMIT_PER_MINUTE = 50
RESPONSE_URL_MAX_POSTS = 5


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list
    thread_ts: str | None = None
    user: str = BOT_USER
    updates: list[float] = field(default_factory=list)  # times of chat.update calls
    history: list[dict] = field(default_factory=list)  # every version {text, blocks, at}, oldest first


class FakeSlack:
    def __init__(self, bot_token: str = "xoxb-0000-fake-bot-token", app_token: str = "xapp-1-fake-app-token"):
        self.bot_token = bot_token
        self.app_token = app_token
        self.port = 0
        self.calls: list[tuple[str, dict, float]] = []
        self.messages: dict[str, Message] = {}
        self.reactions: list[dict] = []
        self.views: list[dict] = []
        self.modals: list[dict] = []  # views.open calls accepted
        self.acks: dict[str, dict] = {}
        self.responses: dict[str, list[dict]] = {}
        self.connections = 0
        self.errors: list[str] = []  # requests the fake refused, for assertions
        self._ts = itertools.count(1)
        self._cond = threading.Condition()
        self._ws: web.WebSocketResponse | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._update_times: dict[str, list[float]] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> "FakeSlack":
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), name="fake-slack", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake Slack did not start")
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, key: str) -> str:
        return f"http://127.0.0.1:{self.port}/response/{key}"

    def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_get("/link", self._socket)
        app.router.add_post("/response/{key}", self._response)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        ready.set()
        self._loop.run_forever()

    async def _shutdown(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        await self._runner.cleanup()

    # -- Web API -----------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        for key in ("blocks", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        with self._cond:
            self.calls.append((method, args, time.monotonic()))
            self._cond.notify_all()
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if token != expected:
            return self._refuse(method, "invalid_auth")
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return self._refuse(method, "unknown_method")
        return handler(args)

    def _ok(self, **data) -> web.Response:
        return web.json_response({"ok": True, **data})

    def _refuse(self, method: str, error: str, status: int = 200, headers=None) -> web.Response:
        with self._cond:
            self.errors.append(f"{method}: {error}")
            self._cond.notify_all()
        return web.json_response({"ok": False, "error": error}, status=status, headers=headers)

    def _m_auth_test(self, args) -> web.Response:
        return self._ok(url="https://fake.slack.com/", team="Fake", user="postmortem", team_id=TEAM,
                        user_id=BOT_USER, bot_id="B0001", is_enterprise_install=False)

    def _m_apps_connections_open(self, args) -> web.Response:
        return self._ok(url=f"ws://127.0.0.1:{self.port}/link?ticket={uuid.uuid4().hex}")

    def _m_chat_postMessage(self, args) -> web.Response:
        channel = args.get("channel")
        if not channel:
            return self._refuse("chat.postMessage", "channel_not_found")
        if channel == NOT_IN_CHANNEL:
            return self._refuse("chat.postMessage", "not_in_channel")
        problem = message_problem(args)
        if problem:
            return self._refuse("chat.postMessage", f"invalid_blocks: {problem}")
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        msg = Message(channel=channel, ts=ts, text=args.get("text", ""), blocks=args.get("blocks") or [],
                      thread_ts=args.get("thread_ts"))
        msg.history.append({"text": msg.text, "blocks": msg.blocks, "at": time.monotonic()})
        with self._cond:
            self.messages[ts] = msg
            self._cond.notify_all()
        return self._ok(channel=channel, ts=ts, message={"text": msg.text, "ts": ts, "blocks": msg.blocks})

    def _m_chat_update(self, args) -> web.Response:
        msg = self.messages.get(args.get("ts", ""))
        if msg is None or msg.channel != args.get("channel"):
            return self._refuse("chat.update", "message_not_found")
        problem = message_problem(args)
        if problem:
            return self._refuse("chat.update", f"invalid_blocks: {problem}")
        now = time.monotonic()
        recent = [t for t in self._update_times.get(msg.channel, []) if now - t < 60]
        if len(recent) >= UPDATE_LIMIT_PER_MINUTE:
            return self._refuse("chat.update", "ratelimited", status=429, headers={"Retry-After": "1"})
        self._update_times[msg.channel] = recent + [now]
        with self._cond:
            msg.text = args.get("text", msg.text)
            msg.blocks = args.get("blocks") or []
            msg.updates.append(now)
            msg.history.append({"text": msg.text, "blocks": msg.blocks, "at": now})
            self._cond.notify_all()
        return self._ok(channel=msg.channel, ts=msg.ts, text=msg.text)

    def _m_reactions_add(self, args) -> web.Response:
        name = args.get("name", "")
        if not name or ":" in name:
            return self._refuse("reactions.add", "invalid_name")
        with self._cond:
            self.reactions.append(args)
            self._cond.notify_all()
        return self._ok()

    def _m_views_publish(self, args) -> web.Response:
        view = args.get("view") or {}
        problem = blocks_problem(view.get("blocks") or [], max_blocks=100)
        if view.get("type") != "home" or not args.get("user_id"):
            problem = problem or "a home view and a user_id are required"
        if problem:
            return self._refuse("views.publish", f"invalid_blocks: {problem}")
        with self._cond:
            self.views.append(args)
            self._cond.notify_all()
        return self._ok(view={"id": "V" + uuid.uuid4().hex[:8], **view})

    def _m_views_open(self, args) -> web.Response:
        view = args.get("view") or {}
        title = (view.get("title") or {}).get("text", "")
        problem = blocks_problem(view.get("blocks") or [], max_blocks=100)
        if not args.get("trigger_id"):
            problem = "a trigger_id is required"
        elif view.get("type") != "modal" or not 0 < len(title) <= 24:
            problem = problem or "a modal with a title of 1-24 characters is required"
        elif len(str(view.get("private_metadata", ""))) > 3000:
            problem = "private_metadata over 3000 characters"
        if problem:
            return self._refuse("views.open", f"invalid_arguments: {problem}")
        view_id = "V" + uuid.uuid4().hex[:8]
        with self._cond:
            self.modals.append({**args, "view": {**view, "id": view_id}})
            self._cond.notify_all()
        return self._ok(view={"id": view_id, **view})

    # -- response_url ------------------------------------------------------------------------

    async def _response(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        body = await request.json()
        with self._cond:
            posts = self.responses.setdefault(key, [])
            if len(posts) >= RESPONSE_URL_MAX_POSTS:
                self.errors.append(f"response_url {key}: used more than {RESPONSE_URL_MAX_POSTS} times")
                self._cond.notify_all()
                return web.Response(status=404, text="used_url")
            posts.append(body)
            self._cond.notify_all()
        return web.Response(text="ok")

    # -- Socket Mode -------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        with self._cond:
            self._ws = ws
            self.connections += 1
            self._cond.notify_all()
        await ws.send_str(json.dumps({
            "type": "hello", "num_connections": 1,
            "debug_info": {"host": "fake", "approximate_connection_time": 3600},
            "connection_info": {"app_id": APP_ID},
        }))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if "envelope_id" in data:
                with self._cond:
                    self.acks[data["envelope_id"]] = data
                    self._cond.notify_all()
        with self._cond:
            if self._ws is ws:
                self._ws = None
            self._cond.notify_all()
        return ws

    def send(self, kind: str, payload: dict, *, accepts_response_payload: bool = False, timeout: float = 15) -> str:
        """Deliver one envelope over the current connection (waiting for one if the client is
        reconnecting). Returns its envelope_id."""
        envelope_id = uuid.uuid4().hex
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                    "accepts_response_payload": accepts_response_payload}
        if kind == "events_api":
            envelope["retry_attempt"] = 0
            envelope["retry_reason"] = ""
        ws = self.wait_for(lambda: self._ws if self._ws is not None and not self._ws.closed else None, timeout)
        asyncio.run_coroutine_threadsafe(ws.send_str(json.dumps(envelope)), self._loop).result(timeout)
        return envelope_id

    def disconnect(self) -> None:
        """What Slack sends before it recycles a connection: the client must open a new one."""
        ws = self._ws
        message = {"type": "disconnect", "reason": "refresh_requested",
                   "debug_info": {"host": "fake"}}
        asyncio.run_coroutine_threadsafe(ws.send_str(json.dumps(message)), self._loop).result(5)

    def wait_ack(self, envelope_id: str, timeout: float = 5) -> dict:
        return self.wait_for(lambda: self.acks.get(envelope_id), timeout)

    def wait_for(self, predicate, timeout: float = 15):
        """Wait until predicate() returns something truthy (evaluated under the fake's lock)
        and return it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"fake Slack: condition not met in {timeout} s; errors: {self.errors}")
                self._cond.wait(min(left, 0.2))

    # -- building payloads as Slack does -------------------------------------------------------

    def mention(self, text: str, *, user: str = "U1", channel: str = "C1", event_id: str | None = None,
                ts: str | None = None, thread_ts: str | None = None) -> dict:
        """Post a user's message mentioning the bot and deliver its app_mention event.
        Returns {event_id, ts, envelope_id}."""
        ts = ts or f"{int(time.time())}.{next(self._ts):06d}"
        event_id = event_id or "Ev" + uuid.uuid4().hex[:10].upper()
        payload = {
            "token": "verification", "team_id": TEAM, "api_app_id": APP_ID, "type": "event_callback",
            "event_id": event_id, "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
            "event": {"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}".strip(), "ts": ts,
                      "channel": channel, "event_ts": ts, "team": TEAM},
        }
        if thread_ts:
            payload["event"]["thread_ts"] = thread_ts
        return {"event_id": event_id, "ts": ts, "envelope_id": self.send("events_api", payload), "payload": payload}

    def message(self, text: str, *, user: str = "U1", channel: str = "C1", thread_ts: str | None = None,
                ts: str | None = None, bot_id: str | None = None, subtype: str | None = None) -> dict:
        """Deliver a `message` event: a channel message or thread reply (message.channels), or
        a direct message to the bot when `channel` starts with D (message.im). Returns
        {event_id, ts, envelope_id, payload}."""
        ts = ts or f"{int(time.time())}.{next(self._ts):06d}"
        event_id = "Ev" + uuid.uuid4().hex[:10].upper()
        event = {"type": "message", "user": user, "text": text, "ts": ts, "channel": channel, "event_ts": ts,
                 "team": TEAM, "channel_type": "im" if channel.startswith("D") else "channel"}
        if thread_ts:
            event["thread_ts"] = thread_ts
        if bot_id:
            event["bot_id"] = bot_id
        if subtype:
            event["subtype"] = subtype
        payload = {
            "token": "verification", "team_id": TEAM, "api_app_id": APP_ID, "type": "event_callback",
            "event_id": event_id, "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
            "event": event,
        }
        return {"event_id": event_id, "ts": ts, "envelope_id": self.send("events_api", payload), "payload": payload}

    def submit(self, modal: dict, values: dict, *, user: str = "U1") -> str:
        """Submit a modal the bot opened (an entry of `modals`) with {block_id: value}: a
        string for a text input, an option value for a select or radio buttons. Returns the
        envelope_id; the ack carries any response_action."""
        view = modal["view"]
        state = {}
        for block in view.get("blocks", []):
            if block.get("type") != "input" or block["block_id"] not in values:
                continue
            element = block["element"]
            value = values[block["block_id"]]
            if element["type"] == "plain_text_input":
                state[block["block_id"]] = {element["action_id"]: {"type": element["type"], "value": value}}
            else:
                option = next(o for o in element["options"] if o["value"] == value)
                state[block["block_id"]] = {element["action_id"]: {"type": element["type"], "selected_option": option}}
        payload = {
            "type": "view_submission", "team": {"id": TEAM, "domain": "fake"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM}, "api_app_id": APP_ID,
            "token": "verification", "trigger_id": uuid.uuid4().hex,
            "view": {**view, "state": {"values": state}, "team_id": TEAM, "app_id": APP_ID, "bot_id": "B0001"},
        }
        return self.send("interactive", payload, accepts_response_payload=True)

    def redeliver(self, payload: dict) -> str:
        """Deliver the same event again, as Slack does when it thinks an ack was lost."""
        return self.send("events_api", payload)

    def home_opened(self, user: str = "U1") -> str:
        payload = {
            "token": "verification", "team_id": TEAM, "api_app_id": APP_ID, "type": "event_callback",
            "event_id": "Ev" + uuid.uuid4().hex[:10].upper(), "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
            "event": {"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home",
                      "event_ts": f"{time.time():.6f}"},
        }
        return self.send("events_api", payload)

    def slash(self, command: str, text: str = "", *, user: str = "U1", channel: str = "C1") -> dict:
        """Deliver a slash command. Returns {envelope_id, response_key}."""
        key = uuid.uuid4().hex
        payload = {
            "token": "verification", "team_id": TEAM, "team_domain": "fake", "channel_id": channel,
            "channel_name": "ops", "user_id": user, "user_name": user.lower(), "command": command,
            "text": text, "api_app_id": APP_ID, "is_enterprise_install": "false",
            "response_url": self.response_url(key), "trigger_id": uuid.uuid4().hex,
        }
        return {"envelope_id": self.send("slash_commands", payload, accepts_response_payload=True),
                "response_key": key}

    def click(self, message: Message, action_id: str, *, user: str = "U1", ephemeral: bool = False) -> dict:
        """Click the button `action_id` in `message`. Returns {envelope_id, response_key}."""
        for block in message.blocks:
            for element in block.get("elements", []):
                if element.get("action_id") == action_id:
                    break
            else:
                continue
            break
        else:
            raise AssertionError(f"no button {action_id} in the message")
        key = uuid.uuid4().hex
        payload = {
            "type": "block_actions", "user": {"id": user, "username": user.lower(), "team_id": TEAM},
            "api_app_id": APP_ID, "token": "verification",
            "container": {"type": "message", "message_ts": message.ts, "channel_id": message.channel,
                          "is_ephemeral": ephemeral},
            "trigger_id": uuid.uuid4().hex, "team": {"id": TEAM, "domain": "fake"},
            "channel": {"id": message.channel, "name": "ops"},
            "message": {"type": "message", "ts": message.ts, "text": message.text, "blocks": message.blocks},
            "response_url": self.response_url(key),
            "actions": [{"type": "button", "action_id": action_id, "block_id": block.get("block_id", ""),
                         "value": element.get("value"), "text": element["text"],
                         "action_ts": f"{time.time():.6f}"}],
        }
        return {"envelope_id": self.send("interactive", payload), "response_key": key}

    # -- reading what the bot did -------------------------------------------------------------

    def thread(self, channel: str, thread_ts: str) -> list[Message]:
        return sorted((m for m in self.messages.values() if m.channel == channel and m.thread_ts == thread_ts),
                      key=lambda m: m.ts)

    def calls_of(self, method: str) -> list[dict]:
        with self._cond:
            return [args for m, args, _ in self.calls if m == method]


def message_problem(args: dict) -> str | None:
    if not args.get("text") and not args.get("blocks"):
        return "no text or blocks"
    return blocks_problem(args.get("blocks") or [], max_blocks=50)


def blocks_problem(blocks: list, max_blocks: int) -> str | None:
    """The Block Kit limits Slack enforces on the blocks the bot sends."""
    if len(blocks) > max_blocks:
        return f"{len(blocks)} blocks > {max_blocks}"
    for block in blocks:
        kind = block.get("type")
        if kind == "section":
            text = block.get("text") or {}
            if not text.get("text") or len(text["text"]) > 3000:
                return f"section text length {len(text.get('text') or '')}"
        elif kind == "header":
            text = block.get("text") or {}
            if text.get("type") != "plain_text" or not 0 < len(text.get("text", "")) <= 150:
                return "header must be plain_text of 1-150 characters"
        elif kind == "context":
            if not 0 < len(block.get("elements", [])) <= 10:
                return "context needs 1-10 elements"
        elif kind == "actions":
            ids = [e.get("action_id") for e in block.get("elements", [])]
            if len(ids) != len(set(ids)):
                return "duplicate action_id in one block"
            for e in block.get("elements", []):
                text = e.get("text") or {}
                if e.get("type") == "button" and (text.get("type") != "plain_text" or len(text.get("text", "")) > 75):
                    return "button text must be plain_text of at most 75 characters"
                if len(str(e.get("value", ""))) > 2000:
                    return "button value over 2000 characters"
        elif kind == "input":
            label = block.get("label") or {}
            element = block.get("element") or {}
            if label.get("type") != "plain_text" or not 0 < len(label.get("text", "")) <= 2000:
                return "input label must be plain_text of 1-2000 characters"
            if not element.get("type") or not element.get("action_id"):
                return "input needs an element with an action_id"
            options = element.get("options")
            if options is not None and not 0 < len(options) <= 100:
                return "a select needs 1-100 options"
            for option in options or []:
                if len((option.get("text") or {}).get("text", "")) > 75:
                    return "option text over 75 characters"
        elif kind not in ("divider", "image", "rich_text"):
            return f"unknown block type {kind!r}"
    return None
