"""postmortem.toml: reading, validation, secrets refused, the taxonomy override."""


import pytest

from pipeline.config import DEFAULT_SCHEDULE, ConfigError, load_config
from pipeline.ingest.extractors.base import ExtractorConfigError
from pipeline.ingest.extractors.registry import build_extractor
from tests.paths import ROOT

EXAMPLE = ROOT / "postmortem.example.toml"


def write(tmp_path, text):
    path = tmp_path / "postmortem.toml"
    path.write_text(text)
    return path


def test_example_file_loads():
    config = load_config(EXAMPLE)
    assert [s.type for s in config.sources] == ["github", "notion", "confluence", "dir"]
    assert [s.name for s in config.sources] == ["github:acme/runbooks/postmortems", "notion-postmortems", "confluence:OPS", "exports"]
    assert config.schedule == "0 3 * * *" and config.admins == ["U012AB3CD"]
    assert config.retrain_threshold == 10 and config.retrain == {"epochs": 2, "max_length": 384}


def test_path_from_argument_env_or_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POSTMORTEM_CONFIG", raising=False)
    default = load_config()  # no ./postmortem.toml: defaults, no sources
    assert default.path is None and default.sources == [] and default.schedule == DEFAULT_SCHEDULE

    write(tmp_path, 'admins = ["U1AAA"]')
    assert load_config().admins == ["U1AAA"]
    other = tmp_path / "other.toml"
    other.write_text('admins = ["U2BBB"]')
    monkeypatch.setenv("POSTMORTEM_CONFIG", str(other))
    assert load_config().admins == ["U2BBB"]
    assert load_config(tmp_path / "postmortem.toml").admins == ["U1AAA"]  # the argument wins

    monkeypatch.setenv("POSTMORTEM_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="not found"):
        load_config()


@pytest.mark.parametrize(
    "text",
    [
        '[[sources]]\ntype = "notion"\ndatabase = "abc"\ntoken = "secret_ntn_value"',
        'slack_bot_token = "xoxb-secret_ntn_value"',
        '[[sources]]\ntype = "confluence"\nspace = "OPS"\npassword = "secret_ntn_value"',
    ],
)
def test_secrets_in_the_file_are_refused_without_echoing_them(tmp_path, text):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert "environment" in str(err.value) and "secret_ntn_value" not in str(err.value)


@pytest.mark.parametrize(
    "text, message",
    [
        ("schedule = 'every night'", "not a valid cron"),
        ("admins = ['alice']", "Slack user ids"),
        ("retrain_threshold = -1", "retrain_threshold"),
        ("[[sources]]\ntype = 'dir'\npath = 'a'\nchannels = '#ops'", "`channels` must be"),
        ("[[sources]]\ntype = 'dir'\npath = 'a'\nchannels = ['ops']", "channel ids"),
        ("colour = 'blue'", "unknown keys"),
        ("[[sources]]\ntype = 'svn'", "`type` must be one of"),
        ("[[sources]]\ntype = 'github'\nrepo = 'a/b'\nbranch = 'main'", "unknown keys ['branch']"),
        ("[[sources]]\ntype = 'notion'", "missing database"),
        ("[[sources]]\ntype = 'confluence'", "missing space or cql"),
        ("[[sources]]\ntype = 'confluence'\nspace = 'OPS'\ncloud = 'yes'", "`cloud` must be a bool"),
        ("[[sources]]\ntype = 'dir'\npath = 'a'\n[[sources]]\ntype = 'dir'\npath = 'a'", "distinct `name`s"),
        ("[taxonomy.rules]\nnope = [['x', 1]]", "'nope' is not a category"),
        ("[taxonomy.rules]\nnetwork = [['(unclosed', 1]]", "bad regex"),
        ("[taxonomy.aliases]\nmq = 'queueing'", "no such category"),
        ("[retrain]\nepochs = 'two'", "epochs must be float"),
        ("[retrain]\nwarp = 9", "unknown option 'warp'"),
        ("schedule = ", "not valid TOML"),
    ],
)
def test_invalid_files_say_what_is_wrong(tmp_path, text, message):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert message in str(err.value)
    assert str(tmp_path) in str(err.value)  # which file


def test_taxonomy_override_adds_categories_rules_and_aliases(tmp_path):
    config = load_config(
        write(
            tmp_path,
            """
[taxonomy]
fallback = "queueing"
[taxonomy.categories]
queueing = "message queues"
[taxonomy.rules]
queueing = [["kafka|rabbitmq", 2.0], ["consumer lag", 3.0]]
[taxonomy.aliases]
mq = "queueing"
""",
        )
    )
    taxonomy = config.build_taxonomy()
    assert "queueing" in taxonomy.names and "database" in taxonomy.names
    assert taxonomy.classify("consumer lag on the kafka cluster grew for hours") == "queueing"
    assert taxonomy.classify("nothing recognisable", hint="MQ") == "queueing"
    assert taxonomy.classify("zzz") == "queueing"  # the fallback


def test_sources_build_their_extractors_with_secrets_from_the_environment(tmp_path, monkeypatch):
    folder = tmp_path / "pms"
    folder.mkdir()
    config = load_config(
        write(
            tmp_path,
            f"""
[[sources]]
type = "dir"
path = "{folder}"
name = "local"
[[sources]]
type = "notion"
database = "1c2b3a4d5e6f47a8b9c0d1e2f3a4b5c6"
tag = "pm"
""",
        )
    )
    local, notion = config.sources
    # The name is a label: the identity is the folder read.
    assert local.name == "local" and build_extractor(local.type, **local.options).source == f"dir:{folder.resolve().as_posix()}"
    monkeypatch.delenv("NOTION_TOKEN", raising=False)
    with pytest.raises(ExtractorConfigError, match="NOTION_TOKEN"):
        build_extractor(notion.type, **notion.options)
    monkeypatch.setenv("NOTION_TOKEN", "secret_from_env")
    extractor = build_extractor(notion.type, **notion.options)
    assert extractor.source == "notion:1c2b3a4d-5e6f-47a8-b9c0-d1e2f3a4b5c6" and extractor.tag == "pm"


def test_retrain_threshold_zero_means_never(tmp_path):
    assert load_config(write(tmp_path, "retrain_threshold = 0")).retrain_threshold is None
    assert load_config(write(tmp_path, "retrain_threshold = 3")).retrain_threshold == 3


def test_source_channels_say_where_its_incidents_may_be_cited(tmp_path):
    config = load_config(write(tmp_path, """
[[sources]]
type = "dir"
path = "a"
name = "security"
channels = ["C0SEC", "dm"]

[[sources]]
type = "dir"
path = "b"
name = "hr"
channels = "dm-only"

[[sources]]
type = "dir"
path = "c"
name = "public"
"""))
    security, hr, public = config.sources
    assert security.options == {"path": "a", "name": "security"}  # not a connector option
    assert security.cited_in("C0SEC") and security.cited_in("D123") and not security.cited_in("C0OPS")
    assert hr.cited_in("D123") and not hr.cited_in("C0SEC")
    assert public.channels is None and public.cited_in("C0OPS") and public.cited_in("D123")
