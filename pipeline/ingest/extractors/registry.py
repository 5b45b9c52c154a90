"""The connector registry: every module in this package that declares `CONNECTOR` is a source.

A connector declares its name, its options (config keys and `extract` flags), how it is built
from them and the environment, which environment variables hold its secrets, and how its
failures read. The CLI's `--source` choices and flags, the config file's keys and checks, and
the one-line error messages all read this registry, so adding a source is adding one module
(and its test)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass
from functools import cache
from typing import Any, Callable

from pipeline.ingest.extractors.base import Extractor, ExtractorConfigError


@dataclass(frozen=True)
class Option:
    key: str  # config key; the `extract` flag is --key with "_" as "-"
    help: str
    type: type = str
    required: bool = False
    cli: bool = True  # also an `extract` flag (False: config file only)


# Every source takes these, whatever its connector.
COMMON_OPTIONS = (
    Option("name", "a display label for the source (its identity is what it reads)"),
    Option("max_delete_share", "largest share of live incidents one sync may delete (default 0.2)", float, cli=False),
)

COMMON_KEYS = {o.key for o in COMMON_OPTIONS}


@dataclass(frozen=True)
class Connector:
    name: str  # the `--source` / `type =` value
    options: tuple[Option, ...]
    # build(**options) -> Extractor; reads credentials from the environment and raises
    # ExtractorConfigError with one line when it can't.
    build: Callable[..., Extractor]
    # One line for a failure of this connector that ended a sync, or None if not its own.
    describe_error: Callable[[BaseException], "str | None"] = lambda exc: None
    secrets: tuple[str, ...] = ()  # environment variables never to echo in a message
    one_of: tuple[str, ...] = ()  # at least one of these options is needed
    # The options whose values name the source when no `name` is given ("/"-joined).
    label_keys: tuple[str, ...] = ()

    @property
    def keys(self) -> set[str]:
        return {o.key for o in self.options + COMMON_OPTIONS}

    def missing(self, options: dict) -> list[str]:
        missing = [o.key for o in self.options if o.required and not options.get(o.key)]
        if self.one_of and not any(options.get(k) for k in self.one_of):
            missing.append(" or ".join(self.one_of))
        return missing

    def label(self, options: dict) -> str:
        """What summaries and `/postmortem-sync NAME` call a source: `name` if given."""
        if options.get("name"):
            return options["name"]
        values = [str(options[k]).strip("/") for k in self.label_keys if options.get(k)]
        if not values:
            values = [next((str(options[k]) for k in self.one_of if options.get(k)), "")]
        return f"{self.name}:" + "/".join(values)


@cache
def connectors() -> dict[str, Connector]:
    import pipeline.ingest.extractors as package

    found = {}
    for module in pkgutil.iter_modules(package.__path__):
        declared = getattr(importlib.import_module(f"{package.__name__}.{module.name}"), "CONNECTOR", None)
        if isinstance(declared, Connector):
            found[declared.name] = declared
    return dict(sorted(found.items()))


def get(name: str | None) -> Connector:
    try:
        return connectors()[name]
    except KeyError:
        raise ExtractorConfigError(
            f"unknown or missing --source: {name!r} (one of {', '.join(connectors())})"
        ) from None


def build_extractor(source: str | None, **options: Any) -> Extractor:
    """The connector for `source`, from its options (None values are left out)."""
    connector = get(source)
    options = {k: v for k, v in options.items() if v is not None and k in connector.keys}
    missing = connector.missing(options)
    if missing:
        flags = ", ".join("--" + m.replace("_", "-").replace(" or ", " or --") for m in missing)
        raise ExtractorConfigError(f"--source {source} needs {flags}")
    # The common options are the sync's, except `name` for a connector whose earlier versions
    # keyed its source by it (build takes `name` to adopt those rows).
    takes = inspect.signature(connector.build).parameters
    return connector.build(**{k: v for k, v in options.items() if k not in COMMON_KEYS or k in takes})


def cli_options() -> list[tuple[str, str, type]]:
    """(key, help, type) of every `extract` flag, each once; help says which sources use it."""
    seen: dict[str, tuple[list[str], type]] = {}
    for connector in connectors().values():
        for option in connector.options:
            if option.cli:
                helps, _ = seen.setdefault(option.key, ([], option.type))
                helps.append(f"{connector.name}: {option.help}")
    common = [(o.key, o.help, o.type) for o in COMMON_OPTIONS if o.cli]
    return [(key, " ".join(helps), kind) for key, (helps, kind) in seen.items()] + common


def describe_error(exc: BaseException) -> str | None:
    """A one-line message for a known connector failure, or None (a bug: keep its traceback)."""
    from pipeline.ingest.extractors.retry import describe_error as retry_error

    if isinstance(exc, ExtractorConfigError):  # raised mid-sync too (a Notion tag not found)
        return str(exc)
    for connector in connectors().values():
        message = connector.describe_error(exc)
        if message:
            return message
    return retry_error(exc)


def secret_values() -> list[str]:
    """The values of every connector's secret environment variables, to scrub from messages."""
    import os

    names = {name for c in connectors().values() for name in c.secrets}
    return [v for v in (os.environ.get(n, "") for n in sorted(names)) if len(v.strip()) >= 4]


def api_url(env: str, default: str | None = None) -> str | None:
    """$env as a base URL, or `default`. One clear line when it is not an http(s) URL, rather
    than a traceback or five retries of a request that can never be sent."""
    import os
    from urllib.parse import urlparse

    value = (os.environ.get(env) or "").strip() or default
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ExtractorConfigError(f"${env} must be an http(s) URL such as https://host/..., not {value!r}")
    return value.rstrip("/")


def token(env: str, required: bool = True) -> str | None:
    """$env stripped of surrounding whitespace (a trailing newline from `echo` or a secrets
    file), refused when whitespace or control characters remain inside it. The value itself
    is never part of the message."""
    import os

    value = (os.environ.get(env) or "").strip()
    if not value:
        if required:
            raise ExtractorConfigError(f"${env} is not set")
        return None
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        raise ExtractorConfigError(f"${env} contains whitespace or control characters: check how it is set")
    return value
