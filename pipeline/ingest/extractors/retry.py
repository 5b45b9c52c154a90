"""Bounded retries for API connectors.

The client libraries' own retries are switched off (notion-client `retry=False`,
atlassian-python-api `retry_with_header=False`) so that one policy, tested against the fakes,
decides: 429 waits for Retry-After, 5xx / timeouts / dropped connections back off
exponentially, and every call gives up after `attempts`. A connector also gives up on the
whole sync when several documents in a row fail that way: the service is down, and walking
the remaining thousand pages through full retry cycles each would only delay the failure."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, TypeVar

from pipeline.ingest.extractors.base import FetchError

T = TypeVar("T")
Item = TypeVar("Item")


@dataclass(frozen=True)
class Transient:
    """A failure worth retrying; `retry_after` is the server's requested wait in seconds."""

    retry_after: float | None = None


# Maps a client exception to Transient (retry it) or None (permanent: raise at once).
Classifier = Callable[[BaseException], "Transient | None"]


class MalformedResponse(Exception):
    """The server answered 2xx with a body that is not the JSON object we expect (a
    truncated or garbled response): retried like any other transient failure."""


def classified(classify: Classifier, exc: BaseException) -> "Transient | None":
    return Transient() if isinstance(exc, MalformedResponse) else classify(exc)


class SourceUnavailable(Exception):
    """Too many documents in a row failed with retryable errors: abort this sync."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries per call, the first included
    base_delay: float = 0.5  # seconds; doubles per attempt, with jitter
    max_delay: float = 30.0  # cap on one backoff sleep
    max_retry_after: float = 120.0  # a longer Retry-After is clamped to this
    max_consecutive_failures: int = 5  # documents failing in a row before SourceUnavailable

    def delay(self, attempt: int, hint: Transient) -> float:
        if hint.retry_after is not None:
            return min(max(hint.retry_after, 0.0), self.max_retry_after)
        backoff = min(self.base_delay * 2 ** (attempt - 1), self.max_delay)
        return backoff / 2 + random.random() * backoff / 2


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


def call_with_retry(
    fn: Callable[[], T],
    classify: Classifier,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    attempt = 1
    while True:
        try:
            return fn()
        except Exception as exc:
            hint = classified(classify, exc)
            if hint is None or attempt >= policy.attempts:
                raise
            sleep(policy.delay(attempt, hint))
            attempt += 1


class FailureStreak:
    """Counts documents failing in a row with retryable errors (retries exhausted)."""

    def __init__(self, policy: RetryPolicy, source: str):
        self.limit = policy.max_consecutive_failures
        self.source = source
        self.count = 0

    def ok(self) -> None:
        self.count = 0

    def failed(self, exc: BaseException, transient: bool) -> None:
        if not transient:
            self.count = 0
            return
        self.count += 1
        if self.count >= self.limit:
            raise SourceUnavailable(
                f"{self.source}: {self.count} documents in a row failed after retries "
                f"(last: {describe(exc)}); stopping this sync, nothing stored was lost"
            ) from exc


def fetch_each(
    items: Iterable[Item],
    read: Callable[[Item], T],
    *,
    ident: Callable[[Item], str],
    classify: Classifier,
    policy: RetryPolicy,
    source: str,
    not_found: Callable[[BaseException], bool] = lambda exc: False,
    present: set[str] | None = None,
    deleted: set[str] | None = None,
    fatal: tuple[type[BaseException], ...] = (),
    explain: Callable[[BaseException], str] | None = None,
) -> Iterator["T | FetchError"]:
    """The per-document loop every API connector runs: `read(item)` (its calls already under
    the retry policy) becomes a document; a document gone since the listing (`not_found`) is
    moved from `present` to `deleted`; any other failure is a FetchError naming the document
    and the sync goes on, until `policy.max_consecutive_failures` transient failures in a row
    say the service is down (SourceUnavailable). `fatal` exceptions end the sync at once; `explain` words a failure (default: describe)."""

    streak = FailureStreak(policy, source)
    for item in items:
        sid = ident(item)
        try:
            document = read(item)
        except fatal:  # what the connector says ends the sync (an exhausted rate limit)
            raise
        except Exception as exc:  # one bad document is an error; the sync goes on
            if not_found(exc) and present is not None and deleted is not None:
                present.discard(sid)
                deleted.add(sid)
                continue
            streak.failed(exc, classified(classify, exc) is not None)
            yield FetchError(sid, (explain or describe)(exc))
            continue
        streak.ok()
        yield document


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def describe_error(exc: BaseException) -> str | None:
    return str(exc) if isinstance(exc, (SourceUnavailable, MalformedResponse)) else None
