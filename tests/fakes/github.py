"""A fake GitHub REST API (the part a repository sync uses), served by aiohttp on 127.0.0.1.

It serves repositories built from files (a local folder or a dict), with real git object ids
(blob and tree shas computed the way git computes them), so PyGithub runs against it
unmodified. Every `url` field carries the fake's own host, because PyGithub follows them.

Endpoints: GET /repos/{o}/{r}, /repos/{o}/{r}/branches/{b}, /repos/{o}/{r}/git/trees/{sha}
(`?recursive=1`; `sha` may be a branch name or a tree sha), /repos/{o}/{r}/git/blobs/{sha},
/repos/{o}/{r}/issues/{n} (issues added with repo.add_issue), /rate_limit.

Faults, for the rate-limit and retry paths (on top of tests/fakes/server.py's):
  fake.exhaust_rate_limit(after=3, reset_in=1)    primary limit: X-RateLimit-Remaining counts
                                                  down to 0, then 403 until the reset
  fake.exhaust_rate_limit(3, 60, visible=False)   the same 403 with no warning in the headers
  fake.fault("429", "/git/blobs/", retry_after=1) secondary limit: 429 with Retry-After
  fake.fault("500", "/git/blobs/<sha>", times=3)  5xx; "slow" (timeouts), "malformed" too
`fake.log` records every request ("GET /path?query") and `fake.count("/git/blobs/")` counts
them, so tests assert what was fetched.

    with FakeGitHub() as fake:
        repo = fake.add_repo("acme/runbooks", folder="samples/acme-pay")
        repo.write("postmortems/2024-01-02-db.md", "...")  # change files between syncs
        repo.delete("README.md")
        ... Github(base_url=fake.url, retry=None) ...
"""

from __future__ import annotations

import base64
import hashlib
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from tests.fakes.server import FakeServer

HTML_BASE = "https://github.com"


def _wrapped_base64(data: bytes) -> str:
    # GitHub wraps blob content at 60 columns; clients must cope with the newlines.
    b64 = base64.b64encode(data).decode()
    return "".join(b64[i : i + 60] + "\n" for i in range(0, len(b64), 60))


def git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class _Tree:
    sha: str
    entries: list[dict]  # {"name", "type", "mode", "sha", "size"?}


class FakeRepo:
    """One repository's working state; each write or delete is like a new commit on every
    branch. Old blobs stay fetchable by sha, as in git."""

    def __init__(self, full_name: str, files: dict[str, bytes], default_branch: str, private: bool):
        self.full_name = full_name
        self.default_branch = default_branch
        self.branches = {default_branch}
        self.private = private
        self.files: dict[str, bytes] = {}
        self.blobs: dict[str, bytes] = {}
        self.trees: dict[str, _Tree] = {}
        self.issues: dict[int, dict] = {}  # number -> {"title", "state"}
        # Recursive tree listings with more entries than this come back `truncated`
        # (GitHub's limit is 100,000 entries / 7 MB).
        self.truncate_after: int | None = None
        self._lock = threading.Lock()
        self._root: str | None = None
        for path, data in files.items():
            self.write(path, data)

    def write(self, path: str, data: bytes | str) -> str:
        """Create or change a file; returns its blob sha."""
        data = data.encode() if isinstance(data, str) else data
        with self._lock:
            self.files[path.strip("/")] = data
            self._root = None
        return git_blob_sha(data)

    def add_issue(self, number: int, title: str, state: str = "open") -> None:
        self.issues[number] = {"title": title, "state": state}

    def blob_sha(self, path: str) -> str:
        return git_blob_sha(self.files[path.strip("/")])

    def delete(self, path: str) -> None:
        with self._lock:
            del self.files[path.strip("/")]
            self._root = None

    def root_sha(self) -> str:
        with self._lock:
            if self._root is None:
                self._root = self._build()
            return self._root

    def _build(self) -> str:
        nested: dict = {}
        for path, data in self.files.items():
            *dirs, name = path.split("/")
            node = nested
            for d in dirs:
                node = node.setdefault(d, {})
            node[name] = data
        return self._store_tree(nested)

    def _store_tree(self, node: dict) -> str:
        entries, raw = [], []
        for name, value in node.items():
            if isinstance(value, dict):
                sha, entry = self._store_tree(value), {"type": "tree", "mode": "040000"}
            else:
                sha = git_blob_sha(value)
                self.blobs[sha] = value
                entry = {"type": "blob", "mode": "100644", "size": len(value)}
            entries.append({"name": name, "sha": sha, **entry})
        # git's tree order: byte order of names, directories compared as "name/".
        entries.sort(key=lambda e: e["name"].encode() + (b"/" if e["type"] == "tree" else b""))
        for e in entries:
            mode = b"40000" if e["type"] == "tree" else b"100644"
            raw.append(mode + b" " + e["name"].encode() + b"\0" + bytes.fromhex(e["sha"]))
        body = b"".join(raw)
        sha = hashlib.sha1(b"tree %d\0" % len(body) + body).hexdigest()
        self.trees[sha] = _Tree(sha, entries)
        return sha

    def resolve_tree(self, ref: str) -> str | None:
        if ref in self.branches or ref == "HEAD":
            return self.root_sha()
        self.root_sha()
        return ref if ref in self.trees else None


class FakeGitHub(FakeServer):
    def __init__(self, token: str | None = None, rate_limit: int = 5000):
        super().__init__()
        self.token = token  # when set, any other token gets 401 Bad credentials
        self.repos: dict[str, FakeRepo] = {}
        self.limit = rate_limit
        self.remaining = rate_limit
        self.reset_at = math.ceil(time.time()) + 3600
        self._reset_in = 3600.0  # how long an exhausted limit stays exhausted
        self._hidden_left: int | None = None  # requests before a 403 nobody saw coming

    # -- setup --------------------------------------------------------------------------------

    def add_repo(
        self,
        full_name: str,
        folder: str | Path | None = None,
        files: dict[str, bytes | str] | None = None,
        default_branch: str = "main",
        private: bool = False,
    ) -> FakeRepo:
        content: dict[str, bytes] = {}
        if folder is not None:
            root = Path(folder)
            for p in sorted(root.rglob("*")):
                if p.is_file():
                    content[p.relative_to(root).as_posix()] = p.read_bytes()
        for path, data in (files or {}).items():
            content[path] = data.encode() if isinstance(data, str) else data
        repo = FakeRepo(full_name, content, default_branch, private)
        self.repos[full_name.lower()] = repo
        return repo

    # -- faults -------------------------------------------------------------------------------

    def exhaust_rate_limit(self, after: int = 0, reset_in: float = 1.0, visible: bool = True) -> None:
        """Allow `after` more requests; then answer 403 "API rate limit exceeded" until
        `reset_in` seconds after the budget ran out, when it refills. visible=True: responses
        count X-RateLimit-Remaining down to 0, as GitHub does; visible=False: the headers say
        nothing until the 403 (another client spent the same token's budget)."""
        with self._lock:
            self._reset_in = reset_in
            if visible:
                self.remaining = after
                if after == 0:
                    self.reset_at = math.ceil(time.time() + reset_in)
            else:
                self._hidden_left = after

    def clear_faults(self) -> None:
        super().clear_faults()
        with self._lock:
            self._hidden_left = None
            self.remaining, self.reset_at = self.limit, math.ceil(time.time()) + 3600

    # -- HTTP ---------------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/rate_limit", self._rate_limit),
            web.get("/repos/{owner}/{name}", self._repo),
            web.get("/repos/{owner}/{name}/branches/{branch:.+}", self._branch),
            web.get("/repos/{owner}/{name}/git/trees/{sha:.+}", self._tree),
            web.get("/repos/{owner}/{name}/git/blobs/{sha}", self._blob),
            web.get("/repos/{owner}/{name}/issues/{number:\\d+}", self._issue),
        ]

    def error(self, status: int, message: str) -> web.Response:
        # The shared fault path: GitHub's message for a secondary limit, and its headers.
        if status == 429:
            message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
        return self._json({"message": message}, status)

    def _rate_headers(self) -> dict:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
            "X-RateLimit-Used": str(self.limit - self.remaining),
            "X-RateLimit-Resource": "core",
        }

    @web.middleware
    async def _middleware(self, request: web.Request, handler):
        async def github(request: web.Request) -> web.StreamResponse:
            auth = request.headers.get("Authorization", "")
            if auth and self.token is not None and auth not in (f"token {self.token}", f"Bearer {self.token}"):
                return self._json({"message": "Bad credentials"}, 401)
            with self._lock:
                limited = self._spend()
            if limited:
                return self._json(
                    {"message": "API rate limit exceeded for 127.0.0.1. (But here's the good news: "
                     "Authenticated requests get a higher rate limit.)"},
                    403,
                )
            try:
                response = await handler(request)
            except web.HTTPNotFound:
                return self._json({"message": "Not Found", "status": "404"}, 404)
            response.headers.update(self._rate_headers())
            return response

        # Injected faults first (FakeServer's middleware), then GitHub's auth and rate limit.
        return await FakeServer._middleware(self, request, github)

    def _spend(self) -> bool:
        """Count one request against the primary limit; True when it must be refused."""
        now = time.time()
        if self.remaining == 0 and now >= self.reset_at:
            self.remaining, self.reset_at = self.limit, math.ceil(now) + 3600
        if self._hidden_left == 0:
            self._hidden_left = None
            self.remaining, self.reset_at = 0, math.ceil(now + self._reset_in)
        if self.remaining == 0:
            return True
        if self._hidden_left is not None:
            self._hidden_left -= 1
        self.remaining -= 1
        if self.remaining == 0:
            self.reset_at = math.ceil(now + self._reset_in)
        return False

    def _json(self, data, status: int = 200) -> web.Response:
        response = web.json_response(data, status=status)
        response.headers.update(self._rate_headers())
        return response

    def _find(self, request: web.Request) -> FakeRepo:
        repo = self.repos.get(f"{request.match_info['owner']}/{request.match_info['name']}".lower())
        auth = request.headers.get("Authorization", "")
        authed = bool(auth) if self.token is None else auth.endswith(f" {self.token}")
        if repo is None or (repo.private and not authed):
            # GitHub answers 404, not 403, for private repositories you can't see.
            raise web.HTTPNotFound()
        return repo

    def _repo_url(self, repo: FakeRepo) -> str:
        return f"{self.url}/repos/{repo.full_name}"

    async def _rate_limit(self, request: web.Request) -> web.Response:
        core = {"limit": self.limit, "remaining": self.remaining, "reset": self.reset_at, "used": self.limit - self.remaining}
        return self._json({"resources": {"core": core}, "rate": core})

    async def _repo(self, request: web.Request) -> web.Response:
        repo = self._find(request)
        owner, name = repo.full_name.split("/")
        return self._json(
            {
                "id": int(hashlib.sha1(repo.full_name.encode()).hexdigest()[:7], 16),
                "node_id": "R_fake",
                "name": name,
                "full_name": repo.full_name,
                "private": repo.private,
                "owner": {"login": owner, "id": 1, "type": "Organization", "url": f"{self.url}/users/{owner}", "html_url": f"{HTML_BASE}/{owner}"},
                "html_url": f"{HTML_BASE}/{repo.full_name}",
                "url": self._repo_url(repo),
                "git_refs_url": self._repo_url(repo) + "/git/refs{/sha}",
                "trees_url": self._repo_url(repo) + "/git/trees{/sha}",
                "blobs_url": self._repo_url(repo) + "/git/blobs{/sha}",
                "default_branch": repo.default_branch,
                "visibility": "private" if repo.private else "public",
            }
        )

    async def _branch(self, request: web.Request) -> web.Response:
        repo = self._find(request)
        branch = request.match_info["branch"]
        if branch not in repo.branches:
            return self._json({"message": "Branch not found"}, 404)
        tree = repo.root_sha()
        commit = hashlib.sha1(f"commit {tree}".encode()).hexdigest()
        return self._json(
            {
                "name": branch,
                "commit": {
                    "sha": commit,
                    "url": f"{self._repo_url(repo)}/commits/{commit}",
                    "commit": {"tree": {"sha": tree, "url": f"{self._repo_url(repo)}/git/trees/{tree}"}},
                },
                "protected": False,
            }
        )

    async def _tree(self, request: web.Request) -> web.Response:
        repo = self._find(request)
        sha = repo.resolve_tree(request.match_info["sha"])
        if sha is None:
            return self._json({"message": "Not Found"}, 404)
        recursive = request.query.get("recursive") not in (None, "", "0", "false")
        entries = list(self._entries(repo, sha, "", recursive))
        truncated = False
        if recursive and repo.truncate_after is not None and len(entries) > repo.truncate_after:
            entries, truncated = entries[: repo.truncate_after], True
        return self._json({"sha": sha, "url": f"{self._repo_url(repo)}/git/trees/{sha}", "tree": entries, "truncated": truncated})

    def _entries(self, repo: FakeRepo, sha: str, prefix: str, recursive: bool):
        for e in repo.trees[sha].entries:
            kind = "trees" if e["type"] == "tree" else "blobs"
            item = {"path": prefix + e["name"], "mode": e["mode"], "type": e["type"], "sha": e["sha"]}
            if "size" in e:
                item["size"] = e["size"]
            item["url"] = f"{self._repo_url(repo)}/git/{kind}/{e['sha']}"
            yield item
            if recursive and e["type"] == "tree":
                yield from self._entries(repo, e["sha"], prefix + e["name"] + "/", True)

    async def _issue(self, request: web.Request) -> web.Response:
        repo = self._find(request)
        number = int(request.match_info["number"])
        issue = repo.issues.get(number)
        if issue is None:
            raise web.HTTPNotFound()
        url = f"{self._repo_url(repo)}/issues/{number}"
        return self._json({
            "id": number, "node_id": f"I_fake{number}", "number": number, "title": issue["title"],
            "state": issue["state"], "url": url, "html_url": f"{HTML_BASE}/{repo.full_name}/issues/{number}",
            "repository_url": self._repo_url(repo), "labels": [], "assignees": [], "comments": 0,
            "user": {"login": "someone", "id": 2}, "body": "",
        })

    async def _blob(self, request: web.Request) -> web.Response:
        repo = self._find(request)
        repo.root_sha()  # make sure the current files are in the object store
        data = repo.blobs.get(request.match_info["sha"])
        if data is None:
            return self._json({"message": "Not Found"}, 404)
        return self._json(
            {
                "sha": request.match_info["sha"],
                "node_id": "B_fake",
                "size": len(data),
                "url": f"{self._repo_url(repo)}/git/blobs/{request.match_info['sha']}",
                "content": _wrapped_base64(data),
                "encoding": "base64",
            }
        )
