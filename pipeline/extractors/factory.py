"""Build a connector from CLI flags / config, and turn connector failures into one clear line."""

from __future__ import annotations


class ExtractorConfigError(ValueError):
    """Flags or environment that can't make a connector (missing repo, token, ...)."""


def build_extractor(source: str | None, *, path=None, repo=None, ref=None, name=None, **kw):
    if source == "dir":
        if not path:
            raise ExtractorConfigError("--source dir needs --path FOLDER")
        from pipeline.extractors.local import LocalFolder

        try:
            return LocalFolder(path, name=name)
        except FileNotFoundError as exc:
            raise ExtractorConfigError(str(exc))
    raise ExtractorConfigError(f"unknown or missing --source: {source!r}")


def user_facing_error(exc: Exception) -> str | None:
    """A one-line message for a known connector failure, or None to let it propagate."""
    return None
