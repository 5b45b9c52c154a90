"""The `postmortem.toml` config: sources to sync, schedule, admins, taxonomy, retrain threshold.

Path: `--config`, else $POSTMORTEM_CONFIG, else ./postmortem.toml (a missing default file means
defaults and no sources; a missing file that was asked for is an error). Secrets never live
here: tokens come from the environment only (GITHUB_TOKEN, NOTION_TOKEN, CONFLUENCE_TOKEN,
...), and a key that looks like one is refused rather than silently read."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import settings

DEFAULT_PATH = Path("postmortem.toml")
DEFAULT_SCHEDULE = "0 3 * * *"  # nightly, 03:00
DEFAULT_RETRAIN_THRESHOLD = 10

# What `/postmortem-retrain key=value ...` (or [retrain] here) may set: TrainConfig fields
# plus how many held-out incidents the promotion gate evaluates.
RETRAIN_OPTIONS = {
    "max_steps": int,
    "epochs": float,
    "batch_size": int,
    "learning_rate": float,
    "max_length": int,
    "base_model": str,
    "eval_limit": int,
}
TOP_KEYS = {"sources", "schedule", "admins", "taxonomy", "retrain_threshold", "retrain"}
SECRET_KEY = re.compile(r"token|secret|password|passwd|api_?key|credential|private_?key", re.I)
SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
# Where a source's incidents may be cited: Slack channel ids (C…/G…), and "dm" for direct
# messages; `channels = "dm-only"` is the same as ["dm"]. Absent: everywhere.
SLACK_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")
DM = "dm"
DM_ONLY = "dm-only"


class ConfigError(ValueError):
    """The config file can't be used as written; the message says where and why."""


@dataclass
class SourceConfig:
    type: str  # a registered connector: dir | github | notion | confluence | ...
    options: dict = field(default_factory=dict)  # its options (registry.Connector.keys)
    channels: frozenset[str] | None = None  # where its incidents may be cited; None: everywhere

    @property
    def name(self) -> str:
        """What `/postmortem-sync NAME` and the summaries call it: `name = ...` if given."""
        from pipeline.ingest.extractors import registry

        return registry.get(self.type).label(self.options)

    def cited_in(self, channel: str) -> bool:
        """May this source's incidents be cited in `channel` (a Slack channel id; D… is a DM)?"""
        if self.channels is None:
            return True
        return (DM if channel.startswith("D") else channel) in self.channels


@dataclass
class Config:
    path: Path | None = None  # the file read, None when defaults were used
    sources: list[SourceConfig] = field(default_factory=list)
    schedule: str = DEFAULT_SCHEDULE  # cron, 5 fields, for the scheduled sync
    admins: list[str] = field(default_factory=list)  # Slack user ids allowed admin commands
    taxonomy: dict = field(default_factory=dict)  # [taxonomy] override: categories/rules/aliases/fallback
    retrain_threshold: int | None = DEFAULT_RETRAIN_THRESHOLD  # after this many new incidents; None: never
    retrain: dict = field(default_factory=dict)  # [retrain] defaults (RETRAIN_OPTIONS)

    def build_taxonomy(self):
        """The default taxonomy with this file's overrides applied."""
        from pipeline.ingest.taxonomy import Taxonomy

        base = Taxonomy.default()
        t = self.taxonomy
        categories = {**base.categories, **t.get("categories", {})}
        rules = {**base.rules, **{k: [tuple(r) for r in v] for k, v in t.get("rules", {}).items()}}
        aliases = {**base.aliases, **t.get("aliases", {})}
        return Taxonomy(categories, rules, aliases, fallback=t.get("fallback", base.fallback), model=base.model)


def config_path(path: str | os.PathLike | None = None) -> tuple[Path, bool]:
    """(path, explicitly asked for)."""
    if path:
        return Path(path), True
    env = settings.get("config")
    if env:
        return Path(env), True
    return DEFAULT_PATH, False


def load_config(path: str | os.PathLike | None = None) -> Config:
    file, explicit = config_path(path)
    if not file.exists():
        if explicit:
            raise ConfigError(f"config file not found: {file}")
        return Config()
    try:
        data = tomllib.loads(file.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read: {exc}") from None
    return parse_config(data, file)


def parse_config(data: dict, file: Path | None = None) -> Config:
    where = str(file or "config")
    _refuse_secrets(data, where)
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)} (known: {sorted(TOP_KEYS)})")
    config = Config(path=file)
    config.sources = [_source(s, i, where) for i, s in enumerate(_list(data, "sources", where, dict))]
    names = [s.name for s in config.sources]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"{where}: two sources are called {twice}: give them distinct `name`s")
    config.schedule = _schedule(data.get("schedule", DEFAULT_SCHEDULE), where)
    config.admins = [str(a) for a in _list(data, "admins", where, str)]
    bad = [a for a in config.admins if not SLACK_USER.match(a)]
    if bad:
        raise ConfigError(f"{where}: admins must be Slack user ids like U012AB3CD, not {bad}")
    threshold = data.get("retrain_threshold", DEFAULT_RETRAIN_THRESHOLD)
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 0:
        raise ConfigError(f"{where}: retrain_threshold must be a whole number >= 1, or 0 for never, not {threshold!r}")
    # TOML has no null: 0 is how the file says "never retrain on new incidents".
    config.retrain_threshold = threshold or None
    config.taxonomy = _taxonomy(data.get("taxonomy", {}), where)
    config.retrain = _retrain(data.get("retrain", {}), where)
    return config


def _refuse_secrets(data: dict, where: str) -> None:
    # The taxonomy table is vocabulary ("credentials" is an alias), not settings: not checked.
    keys = [str(k) for k in data if k != "taxonomy"]
    sources = data.get("sources")
    if isinstance(sources, list):
        keys += [f"sources[{i}].{k}" for i, s in enumerate(sources) if isinstance(s, dict) for k in s]
    for key in keys:
        if SECRET_KEY.search(key.rsplit(".", 1)[-1]):
            # Say where, never echo the value.
            raise ConfigError(
                f"{where}: `{key}` looks like a secret. Secrets are read only from the "
                "environment (GITHUB_TOKEN, NOTION_TOKEN, CONFLUENCE_USER/CONFLUENCE_TOKEN, "
                "SLACK_BOT_TOKEN, ...), never from the config file: remove it."
            )


def _list(data: dict, key: str, where: str, kind: type) -> list:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, kind) for v in value):
        shape = "[[sources]] tables" if kind is dict else "a list of strings"
        raise ConfigError(f"{where}: `{key}` must be {shape}")
    return value


def _source(raw: dict, i: int, where: str) -> SourceConfig:
    from pipeline.ingest.extractors.registry import COMMON_OPTIONS, connectors

    kind = raw.get("type")
    name = f"{where}: sources[{i}]"
    if kind not in connectors():
        raise ConfigError(f"{name}: `type` must be one of {sorted(connectors())}, not {kind!r}")
    connector = connectors()[kind]
    options = {k: v for k, v in raw.items() if k not in ("type", "channels")}
    unknown = set(options) - connector.keys
    if unknown:
        raise ConfigError(f"{name} ({kind}): unknown keys {sorted(unknown)} (known: {sorted(connector.keys)})")
    missing = connector.missing(options)
    if missing:
        raise ConfigError(f"{name} ({kind}): missing {', '.join(missing)}")
    types = {o.key: o.type for o in connector.options + COMMON_OPTIONS}
    for key, value in options.items():
        expected = types[key]
        ok = isinstance(value, expected) or (expected is float and isinstance(value, int))
        if not ok or (expected is not bool and isinstance(value, bool)):
            raise ConfigError(f"{name} ({kind}): `{key}` must be a {expected.__name__}")
    share = options.get("max_delete_share")
    if share is not None and not 0 <= share <= 1:
        raise ConfigError(f"{name} ({kind}): `max_delete_share` must be between 0 and 1, not {share!r}")
    return SourceConfig(kind, options, _channels(raw.get("channels"), name))


def _channels(value, name: str) -> frozenset[str] | None:
    if value is None:
        return None
    if value == DM_ONLY:
        return frozenset({DM})
    if not isinstance(value, list) or not value or not all(isinstance(c, str) for c in value):
        raise ConfigError(f'{name}: `channels` must be "{DM_ONLY}" or a list of channel ids like ["C012AB3CD", "dm"]')
    bad = [c for c in value if c != DM and not SLACK_CHANNEL.match(c)]
    if bad:
        # Names change and need another scope to resolve; ids are what events carry.
        raise ConfigError(f'{name}: `channels` takes Slack channel ids (C…/G…) or "dm", not {bad}')
    return frozenset(value)


def _schedule(value, where: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    if not isinstance(value, str):
        raise ConfigError(f"{where}: `schedule` must be a cron string like {DEFAULT_SCHEDULE!r}")
    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ConfigError(f"{where}: `schedule` {value!r} is not a valid cron expression: {exc}") from None
    return value


def _taxonomy(raw, where: str) -> dict:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: [taxonomy] must be a table")
    unknown = set(raw) - {"categories", "rules", "aliases", "fallback"}
    if unknown:
        raise ConfigError(f"{where}: [taxonomy] unknown keys {sorted(unknown)}")
    from pipeline.ingest.taxonomy import DEFAULT_CATEGORIES

    names = set(DEFAULT_CATEGORIES) | set(raw.get("categories", {}))
    for cat, rules in raw.get("rules", {}).items():
        if cat not in names:
            raise ConfigError(f"{where}: [taxonomy.rules] {cat!r} is not a category")
        for rule in rules:
            if not (isinstance(rule, list) and len(rule) == 2 and isinstance(rule[0], str) and isinstance(rule[1], (int, float))):
                raise ConfigError(f"{where}: [taxonomy.rules] {cat}: each rule is [\"regex\", weight], not {rule!r}")
            try:
                re.compile(rule[0])
            except re.error as exc:
                raise ConfigError(f"{where}: [taxonomy.rules] {cat}: bad regex {rule[0]!r}: {exc}") from None
    for alias, target in raw.get("aliases", {}).items():
        if target not in names:
            raise ConfigError(f"{where}: [taxonomy.aliases] {alias!r} -> {target!r}: no such category")
    if "fallback" in raw and raw["fallback"] not in names:
        raise ConfigError(f"{where}: [taxonomy] fallback {raw['fallback']!r} is not a category")
    return raw


def _retrain(raw, where: str) -> dict:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: [retrain] must be a table")
    for key, value in raw.items():
        kind = RETRAIN_OPTIONS.get(key)
        if kind is None:
            raise ConfigError(f"{where}: [retrain] unknown option {key!r} (known: {sorted(RETRAIN_OPTIONS)})")
        # TOML integers are fine where a float is wanted; nothing else converts silently.
        if not (isinstance(value, kind) or (kind is float and isinstance(value, int))) or isinstance(value, bool):
            raise ConfigError(f"{where}: [retrain] {key} must be {kind.__name__}, not {value!r}")
    return dict(raw)
