"""`/postmortem <question>`: acknowledged at once, answered ephemerally through the
response_url with a "Share to channel" button that posts it for everyone."""

from bot import blocks
from tests.bot.helpers import section_text
from tests.fakes.slack import Message


def test_private_answer_then_shared_to_the_channel(bot, slack):
    sent = slack.slash("/postmortem", "card tokenizer certificate expired, what did we do?", user="U1", channel="C1")
    ack = slack.wait_ack(sent["envelope_id"], 3)
    assert "only you can see" in ack["payload"]["text"]

    posts = slack.wait_for(lambda: slack.responses.get(sent["response_key"]), 120)
    private = posts[-1]
    assert private["response_type"] == "ephemeral" and private["replace_original"] is True
    assert "Card tokenizer certificate" in section_text(private["blocks"])
    assert not slack.calls_of("chat.postMessage")  # nothing visible to others yet

    message = Message(channel="C1", ts="", text=private["text"], blocks=private["blocks"])
    click = slack.click(message, blocks.SHARE, user="U1", ephemeral=True)
    slack.wait_ack(click["envelope_id"], 3)
    shared = slack.wait_for(lambda: len(slack.responses.get(click["response_key"], [])) >= 2 and
                            slack.responses[click["response_key"]], 10)
    assert shared[0]["response_type"] == "in_channel" and shared[0]["replace_original"] is False
    assert "Card tokenizer certificate" in section_text(shared[0]["blocks"])
    buttons = [e["action_id"] for b in shared[0]["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [blocks.VOTE_UP, blocks.VOTE_DOWN]  # no share button once shared
    assert "Shared by <@U1>" in shared[0]["blocks"][-1]["elements"][0]["text"]
    assert shared[-1].get("delete_original") is True  # the private copy goes
    assert not slack.errors


def test_empty_private_question_gets_usage(bot, slack):
    sent = slack.slash("/postmortem", "", user="U1")
    ack = slack.wait_ack(sent["envelope_id"], 3)
    assert "Ask me about past incidents" in str(ack["payload"])
