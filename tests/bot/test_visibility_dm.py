"""Direct messages to the bot, and per-source visibility: a source limited to DMs is never
retrieved for an answer in a channel, and is cited in a DM."""

from bot.config import bot_config
from storage import Database
from storage.answers import AnswerStore
from tests.bot.helpers import answered, section_text
from tests.fakes.slack import BOT_USER
from tests.paths import SAMPLES

ACME = f"dir:{(SAMPLES / 'acme-pay').resolve().as_posix()}"  # a folder's source is its path
QUESTION = "payments API returning 502s right after a deploy, what fixed it?"


def test_dm_only_source_is_cited_in_a_dm_and_never_in_a_channel(make_bot, slack, db_path, tmp_path):
    path = tmp_path / "postmortem.toml"
    path.write_text(f"""
[[sources]]
type = "dir"
path = "{SAMPLES / 'acme-pay'}"
name = "acme-pay"
channels = "dm-only"
""")
    config = bot_config(str(path))
    # Keyed by the name its incidents are stored under: a folder's is its path.
    assert list(config.restricted) == [ACME]
    make_bot(config)

    # In a channel: the only source is DM-only, so nothing is retrieved (nor generated from).
    in_channel = answered(slack, slack.mention(QUESTION, channel="C1"))
    text = section_text(in_channel.blocks)
    assert "Payments API 502s" not in text and "No stored post-mortem resembles" in text

    # In a DM, a plain message (no mention needed) is a question, answered in its thread.
    dm = slack.message(QUESTION, channel="D1", user="U1")
    slack.wait_ack(dm["envelope_id"], 3)
    reply = answered(slack, dm, channel="D1", timeout=120)
    assert reply.user == BOT_USER and "Payments API 502s after v4.12 release" in section_text(reply.blocks)
    # @postmortem in a DM works the same.
    mention_dm = slack.message(f"<@{BOT_USER}> kafka broker disk full, what did we do?", channel="D1")
    assert "Kafka" in section_text(answered(slack, mention_dm, channel="D1", timeout=120).blocks)

    stored = AnswerStore(Database(db_path))
    assert stored.thread("C1", in_channel.thread_ts)[0]["sources"] == []
    assert stored.thread("D1", dm["ts"])[0]["sources"][0]["source"] == ACME
    assert not slack.errors
