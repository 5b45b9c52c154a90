"""What the bot takes from the config file (pipeline.config): admins, source names and where
each may be cited, the sync schedule, the retrain settings and the taxonomy's categories."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.config import ConfigError, SourceConfig, load_config
from pipeline.ingest.taxonomy import Taxonomy
from storage import Database

__all__ = ["BotConfig", "ConfigError", "bot_config"]


@dataclass
class BotConfig:
    admins: frozenset[str] = frozenset()
    sources: list[str] = field(default_factory=list)
    schedule: str | None = None  # crontab line; None: nightly
    retrain_threshold: int | None = None  # new incidents that trigger a retrain; None: never
    retrain: dict = field(default_factory=dict)  # retrain options (pipeline.jobs.RETRAIN_OPTIONS)
    path: str | None = None  # the config file, handed to sync jobs so they read the same one
    # Sources cited only in some channels, by the name their incidents are stored under.
    restricted: dict[str, SourceConfig] = field(default_factory=dict)
    # The configured taxonomy: custom categories vote in answers and are offered in corrections.
    taxonomy: Taxonomy = field(default_factory=Taxonomy.default)

    @property
    def categories(self) -> list[str]:
        return list(self.taxonomy.categories)

    def sources_for(self, db: Database, channel: str) -> list[str] | None:
        """The sources an answer in `channel` may retrieve from (None: all of them)."""
        hidden = {name for name, source in self.restricted.items() if not source.cited_in(channel)}
        if not hidden:
            return None
        return [s for s in db.sources() if s not in hidden]


def bot_config(path: str | None = None) -> BotConfig:
    """Read the config file ($POSTMORTEM_CONFIG or ./postmortem.toml when `path` is None)."""
    config = load_config(path)
    return BotConfig(
        admins=frozenset(config.admins),
        sources=[s.name for s in config.sources],
        schedule=config.schedule,
        retrain_threshold=config.retrain_threshold,
        retrain=dict(config.retrain),
        path=str(config.path.resolve()) if config.path else None,
        restricted={_stored_name(s): s for s in config.sources if s.channels is not None},
        taxonomy=config.build_taxonomy(),
    )


def _stored_name(source: SourceConfig) -> str:
    """The `source` its incidents are stored under, which the connector decides. Building
    the connector does no I/O; one that can't be built (a token missing) can't be told apart
    from the others, so the bot refuses to start rather than cite it everywhere."""
    try:
        from pipeline.ingest.extractors.registry import build_extractor

        return build_extractor(source.type, **source.options).source
    except Exception as exc:
        raise ConfigError(
            f"source {source.name!r} has `channels`, but its connector can't be set up here ({exc})"
        ) from None
