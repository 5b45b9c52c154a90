"""A GitHub (or GitHub Enterprise) repository of post-mortems.

One recursive git-tree call lists the whole repository at `ref`; only the files that look like
post-mortems, and whose blob sha differs from the one stored, are fetched, one blob request
each. An unchanged re-sync therefore costs two requests (repository + tree), whatever the
repository's size.

Requests go out one at a time, as GitHub asks of API clients (concurrent requests trip the
secondary rate limit). PyGithub's own retries and throttling are off, so this module alone
decides: an exhausted rate limit waits for its reset when that is near (`max_wait`) and
otherwise stops the sync with a clear message; 5xx answers, timeouts and malformed JSON
bodies follow the connectors' one retry policy (retry.RetryPolicy). The ingest loop stores each document as it
arrives, so stopping half way loses nothing, and the next sync skips what was stored."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterator, TypeVar

from pipeline.ingest.decode import size_limit
from pipeline.ingest.extractors import registry
from pipeline.ingest.extractors.base import (
    ExtractorConfigError,
    FetchError,
    Listing,
    RawDocument,
    looks_like_postmortem,
    skipped_candidate,
)
from pipeline.ingest.extractors.retry import (
    MalformedResponse,
    RetryPolicy,
    Transient,
    call_with_retry,
    fetch_each,
)

# PyGithub (and requests) load when a GitHub source is built, not with the registry.

DEFAULT_API_URL = "https://api.github.com"
SYMLINK_MODE = "120000"
log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class GitHubConfig:
    repo: str  # --repo owner/name
    path: str | None = None  # --path: only files under this folder (any markdown there)
    ref: str | None = None  # --ref: branch, tag or sha; None = the default branch
    token: str | None = None  # $GITHUB_TOKEN; optional for public repositories
    api_url: str = DEFAULT_API_URL  # $GITHUB_API_URL (GitHub Enterprise: https://HOST/api/v3)
    max_wait: float = 60.0  # longest total rate-limit wait per request before stopping
    timeout: int = 15  # per request, seconds (PyGithub takes whole seconds)
    # 5xx / timeouts / dropped connections / malformed bodies; blobs failing back to back.
    policy: RetryPolicy = field(default_factory=RetryPolicy)


class GitHubSyncError(RuntimeError):
    """A GitHub failure the user can act on; str() is the one line to show."""


class RateLimitExhausted(GitHubSyncError):
    pass


class GitHubRepo:
    def __init__(self, config: GitHubConfig):
        self.config = config
        prefix = (config.path or "").strip("/")
        # Identity: the repository, the folder and the ref read. Another --ref or --path is
        # another source, not the deletion of this one's files.
        self.source = f"github:{config.repo}" + (f"/{prefix}" if prefix else "") + (f"@{config.ref}" if config.ref else "")
        # Earlier versions keyed every --path of a repository by the repository alone.
        self.legacy_sources = (f"github:{config.repo}",) if prefix and not config.ref else ()
        self.label = self.source
        self.fetched = 0  # documents handed to the ingest loop in the current sync

    def listing(self, known_versions: dict[str, str]) -> Listing:
        import requests
        from github import Auth, Github, GithubException

        cfg = self.config
        self.fetched = 0
        gh = None
        try:
            gh = Github(
                auth=Auth.Token(cfg.token) if cfg.token else None,
                base_url=cfg.api_url.rstrip("/"),
                timeout=cfg.timeout,
                retry=None,
                seconds_between_requests=None,
                seconds_between_writes=None,
            )
            repo = self._call(gh, lambda: gh.get_repo(cfg.repo), cfg.repo, not_found=self._no_repo())
            ref = cfg.ref or repo.default_branch
            files = self._walk(gh, repo, ref)
        except (GithubException, requests.RequestException, MalformedResponse) as exc:
            if gh is not None:
                gh.close()
            raise GitHubSyncError(
                f"{self.source}: listing the repository at {cfg.api_url} failed ({_describe(exc)})"
            ) from exc
        except BaseException:
            if gh is not None:
                gh.close()
            raise
        prefix = cfg.path.strip("/") if cfg.path and cfg.path.strip("/") else None
        # Only post-mortem candidates are the source's documents: an unchanged re-sync of a
        # monorepo looks up its candidates, not its every file.
        wanted = [(p, sha, size) for p, sha, size in files if looks_like_postmortem(p, prefix=prefix)]
        skipped = [(p, reason) for p, _, _ in files if (reason := skipped_candidate(p, prefix=prefix))]
        if prefix and not wanted and not skipped:
            gh.close()
            raise GitHubSyncError(f"{self.source}: no markdown file under --path {prefix!r} at {ref}")
        todo = [(p, sha, size) for p, sha, size in wanted if known_versions.get(p) != sha]
        base = f"{repo.html_url}/blob/{urllib.parse.quote(ref, safe='/')}/"
        return Listing(
            source=self.source,
            documents=self._documents(gh, repo, todo, base),
            present={p for p, _, _ in wanted},
            total=len(todo),
            skipped=skipped,
        )

    # -- listing ------------------------------------------------------------------------------

    def _walk(self, gh, repo, ref: str) -> list[tuple[str, str, int | None]]:
        """(path, blob sha, size) of every file at `ref` (under --path, when the tree is too big
        for one listing)."""
        tree = self._tree(
            gh,
            repo,
            ref,
            recursive=True,
            not_found=f"{self.source}: ref {ref!r} not found (give a branch, tag or commit sha)",
        )
        if not tree.get("truncated"):
            return _blobs(tree["tree"], "")
        # Too big for one listing: GitHub's advice is to walk the subtrees one at a time.
        # With --path only the folders on the way to it are opened.
        prefix = (self.config.path or "").strip("/")
        prefix = prefix + "/" if prefix else ""
        log.info("%s: tree listing truncated, walking %s folder by folder", self.source, ref)
        files, pending = [], [("", tree["sha"])]
        while pending:
            folder, sha = pending.pop()
            sub = self._tree(gh, repo, sha, what=f"tree {folder or '/'}")
            if sub.get("truncated"):
                raise GitHubSyncError(
                    f"{self.source}: folder {folder or '/'} has more entries than GitHub lists; "
                    "nothing was marked deleted"
                )
            files += _blobs(sub["tree"], folder)
            for e in sub["tree"]:
                path = folder + e["path"] + "/"
                if e["type"] == "tree" and (path.startswith(prefix) or prefix.startswith(path)):
                    pending.append((path, e["sha"]))
        return files

    def _tree(self, gh, repo, sha: str, recursive: bool = False, what: str = "", not_found: str | None = None) -> dict:
        """A git tree as GitHub's JSON. Not PyGithub's objects: building one per entry took
        most of an unchanged re-sync of a 100k-file repository, for four fields we read."""
        url = f"{repo.url}/git/trees/{urllib.parse.quote(sha, safe='')}"

        def get() -> dict:
            _, data = gh.requester.requestJsonAndCheck("GET", url, parameters={"recursive": 1} if recursive else None)
            if not isinstance(data, dict) or not isinstance(data.get("tree"), list):
                raise MalformedResponse(f"GitHub {what or 'tree ' + sha}: response is not a git tree")
            return data

        return self._call(gh, get, what or f"tree {sha}", not_found=not_found)

    # -- documents ----------------------------------------------------------------------------

    def _documents(self, gh, repo, todo, base: str) -> Iterator[RawDocument | FetchError]:
        def read(item: tuple[str, str, int | None]) -> RawDocument:
            path, sha, size = item
            url = base + urllib.parse.quote(path, safe="/")
            limit = size_limit(path)
            if size is not None and size > limit:
                # The tree says how big it is: no download of what would be refused anyway.
                return RawDocument(source_id=path, url=url, body=b"", version=sha,
                                   problem=("too-large", f"{size:,} bytes is over the {limit:,}-byte limit (not downloaded)"))
            blob = self._call(gh, lambda: repo.get_git_blob(sha), path)
            document = RawDocument(source_id=path, url=url, body=_decode_blob(blob.content, blob.encoding), version=sha)
            self.fetched += 1
            return document

        try:
            yield from fetch_each(
                todo,
                read,
                ident=lambda item: item[0],
                classify=transient,
                policy=self.config.policy,
                source=self.source,
                fatal=(GitHubSyncError,),
                explain=_describe,
            )
        finally:
            gh.close()

    # -- one request ------------------------------------------------------------------------

    def _call(self, gh, fn: Callable[[], T], what: str, not_found: str | None = None) -> T:
        """One API call: the retry policy for transient failures, and GitHub's rate limits
        waited out here. Raises GitHubSyncError for what stops the whole sync (limit
        exhausted, bad token, `not_found` when given); other errors (a 5xx after the
        retries, a 404 on one blob) propagate for the caller to judge."""
        from github import GithubException

        cfg = self.config
        waited = 0.0

        def once() -> T:
            try:
                return fn()
            except json.JSONDecodeError as exc:  # PyGithub parses a body that starts like JSON
                raise MalformedResponse(f"GitHub {what}: response is not valid JSON") from exc

        while True:
            # Don't spend a request we know will be refused.
            remaining, _ = gh.requester.rate_limiting
            reset = gh.requester.rate_limiting_resettime
            if remaining == 0 and time.time() < reset:
                waited += self._wait(reset - time.time() + 1, reset, waited)
            try:
                return call_with_retry(once, transient, cfg.policy)
            except GithubException as exc:
                if _is_rate_limit(exc):
                    delay, reset_at = _rate_limit_delay(exc)
                    waited += self._wait(delay, reset_at, waited)
                    continue
                if exc.status == 401:
                    raise GitHubSyncError(
                        f"GitHub rejected the token at {cfg.api_url} ({_describe(exc)}): check GITHUB_TOKEN"
                    ) from exc
                if exc.status == 404 and not_found:
                    raise GitHubSyncError(not_found) from exc
                raise

    def _wait(self, delay: float, reset_at: float, waited: float) -> float:
        if waited + delay > self.config.max_wait:
            at = datetime.fromtimestamp(reset_at, timezone.utc).strftime("%H:%M")
            raise RateLimitExhausted(
                f"GitHub rate limit exhausted; resets at {at} UTC; {self.fetched} documents "
                f"stored so far are kept (sync {self.source} again after the reset: stored files "
                "are not fetched again)"
            )
        log.warning("%s: GitHub rate limit, waiting %.0fs", self.source, delay)
        time.sleep(max(delay, 0))
        return max(delay, 0)

    def _no_repo(self) -> str:
        cfg = self.config
        hint = "" if cfg.token else " (set GITHUB_TOKEN if it is private)"
        return f"GitHub repository {cfg.repo} not found at {cfg.api_url}{hint}"


def _blobs(entries, folder: str) -> list[tuple[str, str, int | None]]:
    # Submodules (type "commit") and symlinks have no post-mortem text of their own.
    return [
        (folder + e["path"], e["sha"], e["size"] if isinstance(e.get("size"), int) else None)
        for e in entries if e.get("type") == "blob" and e.get("mode") != SYMLINK_MODE
    ]


def _decode_blob(content: str, encoding: str) -> bytes:
    if encoding == "base64":
        try:
            return base64.b64decode(content)  # ignores GitHub's line breaks
        except binascii.Error as exc:
            raise ValueError(f"blob content is not valid base64: {exc}") from exc
    if encoding in ("utf-8", "utf8"):
        return content.encode("utf-8")
    raise ValueError(f"unknown blob encoding {encoding!r}")


def transient(exc: BaseException) -> Transient | None:
    """5xx answers, timeouts and dropped connections; rate limits are waited out in _call."""
    import requests
    from github import GithubException

    if isinstance(exc, GithubException):
        return Transient() if exc.status >= 500 else None
    if isinstance(exc, (requests.Timeout, requests.ConnectionError)):
        return Transient()
    return None


def _is_rate_limit(exc) -> bool:
    from github.GithubException import RateLimitExceededException

    # GitHub signals both limits with 403 or 429: primary ones with X-RateLimit-Remaining: 0,
    # secondary ones with Retry-After or their message.
    headers = exc.headers or {}
    return exc.status in (403, 429) and (
        exc.status == 429
        or isinstance(exc, RateLimitExceededException)
        or headers.get("x-ratelimit-remaining") == "0"
        or "retry-after" in headers
    )


def _rate_limit_delay(exc) -> tuple[float, float]:
    """Seconds to wait, and the epoch time the limit lifts."""
    headers, now = exc.headers or {}, time.time()
    if headers.get("retry-after", "").strip().isdigit():
        delay = float(headers["retry-after"])
        return delay, now + delay
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        reset = float(headers["x-ratelimit-reset"])
        # The reset is whole seconds: one more keeps us from knocking a second early.
        return max(reset - now, 0) + 1, reset
    # A secondary limit without headers: GitHub says to wait at least a minute.
    return 60.0, now + 60


def _describe(exc: BaseException) -> str:
    import requests
    from github import GithubException

    if isinstance(exc, GithubException):
        message = exc.message or (exc.data.get("message") if isinstance(exc.data, dict) else None)
        return f"HTTP {exc.status}" + (f": {message}" if message else "")
    if isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.Timeout):
        return "ConnectionError: could not connect"  # urllib3's text is a paragraph
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def describe_error(exc: BaseException) -> str | None:
    """The CLI's one line for a GitHub failure that escaped a sync, or None if not ours."""
    import sys

    if isinstance(exc, GitHubSyncError):
        return str(exc)
    if "github" not in sys.modules:  # no GitHub source ran in this process
        return None
    from github import GithubException

    if isinstance(exc, GithubException):
        return f"GitHub API error: {_describe(exc)}"
    return None


def build(repo: str, path: str | None = None, ref: str | None = None) -> GitHubRepo:
    import re

    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        raise ExtractorConfigError(f"--source github needs --repo OWNER/NAME (got {repo!r})")
    return GitHubRepo(
        GitHubConfig(
            repo=repo,
            path=path,
            ref=ref,
            token=registry.token("GITHUB_TOKEN", required=False),
            api_url=registry.api_url("GITHUB_API_URL", DEFAULT_API_URL),
        )
    )


CONNECTOR = registry.Connector(
    name="github",
    options=(
        registry.Option("repo", "owner/name (token: $GITHUB_TOKEN)", required=True),
        registry.Option("path", "only files under this path"),
        registry.Option("ref", "branch, tag or sha (default: the default branch)"),
    ),
    build=build,
    describe_error=describe_error,
    secrets=("GITHUB_TOKEN",),
    label_keys=("repo", "path"),
)
