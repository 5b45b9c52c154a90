"""Slack recycles Socket Mode connections with a `disconnect` message; the app reconnects
and keeps answering."""

from tests.bot.helpers import answered, section_text


def test_reconnects_after_disconnect(bot, slack):
    slack.wait_for(lambda: slack.connections == 1, 5)
    slack.disconnect()
    slack.wait_for(lambda: slack.connections == 2, 15)
    assert len(slack.calls_of("apps.connections.open")) == 2

    sent = slack.mention("intermittent DNS timeouts in the payments cluster")
    slack.wait_ack(sent["envelope_id"], 10)
    reply = answered(slack, sent)
    assert "Intermittent DNS timeouts in payments cluster" in section_text(reply.blocks)
