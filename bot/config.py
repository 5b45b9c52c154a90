"""What the bot takes from the config file (pipeline.config): admins, source names, the
sync schedule and the retrain settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.config import ConfigError, load_config

__all__ = ["BotConfig", "ConfigError", "bot_config"]


@dataclass
class BotConfig:
    admins: frozenset[str] = frozenset()
    sources: list[str] = field(default_factory=list)
    schedule: str | None = None  # crontab line; None: nightly
    retrain_threshold: int | None = None  # new incidents that trigger a retrain; None: never
    retrain: dict = field(default_factory=dict)  # retrain options (pipeline.jobs.RETRAIN_OPTIONS)
    path: str | None = None  # the config file, handed to sync jobs so they read the same one


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
    )
