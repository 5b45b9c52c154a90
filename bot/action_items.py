"""Action items of the matched incident, and whether the GitHub issues they link are still
open.

An item links an issue by URL (https://github.com/org/repo/issues/12, or the GitHub
Enterprise host of GITHUB_API_URL) or as org/repo#12. Statuses come from the GitHub API
with GITHUB_TOKEN (PyGithub, one request per issue, no retries: an answer never waits on a
struggling GitHub), cached for `ttl` seconds, failures too (a GitHub that is down costs
one request per issue per `ttl`, not one per answer). No token, no status: the items are still shown."""

from __future__ import annotations

import logging
import re
import threading
import time
from urllib.parse import urlparse

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
TTL = 600.0  # seconds a status is reused; an issue closed since shows as open that long
ISSUE_URL = re.compile(r"https?://(?P<host>[\w.-]+(?::\d+)?)/(?P<repo>[\w.-]+/[\w.-]+)/issues/(?P<number>\d+)")
ISSUE_REF = re.compile(r"(?<![\w/.-])(?P<repo>[\w.-]+/[\w.-]+)#(?P<number>\d+)\b")


class IssueStatus:
    def __init__(self, token: str | None, api_url: str = DEFAULT_API_URL, ttl: float = TTL):
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.ttl = ttl
        self.hosts = {"github.com", "www.github.com", urlparse(self.api_url).netloc}
        self._cache: dict[tuple[str, int], tuple[str | None, float]] = {}
        self._lock = threading.Lock()
        self._client = None

    @classmethod
    def from_env(cls, env) -> "IssueStatus":
        return cls(env.get("GITHUB_TOKEN") or None, env.get("GITHUB_API_URL") or DEFAULT_API_URL)

    def enrich(self, answer: dict) -> dict:
        """The answer with `action_items`: [{text, issue, state}] of its first source."""
        sources = answer.get("sources") or []
        items = sources[0].get("action_items") if sources else None
        if not items:
            return answer
        return {**answer, "action_items": [self.item(text) for text in items]}

    def item(self, text: str) -> dict:
        issue = self.issue_in(text)
        if issue is None:
            return {"text": text, "issue": None, "state": None}
        repo, number = issue
        return {"text": text, "issue": f"{repo}#{number}", "state": self.state(repo, number)}

    def issue_in(self, text: str) -> tuple[str, int] | None:
        for match in ISSUE_URL.finditer(text):
            if match["host"].lower() in self.hosts:
                return match["repo"], int(match["number"])
        match = ISSUE_REF.search(text)
        return (match["repo"], int(match["number"])) if match else None

    def state(self, repo: str, number: int) -> str | None:
        """"open", "closed", or None (no token, or GitHub did not say)."""
        if not self.token:
            return None
        key = (repo.lower(), number)
        with self._lock:
            hit = self._cache.get(key)
            if hit and time.monotonic() - hit[1] < self.ttl:
                return hit[0]
        state = self._fetch(repo, number)
        with self._lock:
            self._cache[key] = (state, time.monotonic())
        return state

    def _fetch(self, repo: str, number: int) -> str | None:
        from github import Auth, Github, GithubException

        if self._client is None:
            # lazy: the issue is one request, without fetching its repository first.
            self._client = Github(auth=Auth.Token(self.token), base_url=self.api_url, retry=None, timeout=5, lazy=True)
        try:
            return self._client.get_repo(repo).get_issue(number).state
        except (GithubException, OSError) as exc:
            log.warning("status of %s#%d unavailable: %s", repo, number, exc)
            return None
