"""Small waits shared by the bot tests."""

from tests.fakes.slack import FakeSlack, Message


def answered(slack: FakeSlack, sent: dict, channel: str = "C1", timeout: float = 60) -> Message:
    """The threaded reply to mention `sent`, once its final version (with buttons) is in."""
    reply = slack.wait_for(lambda: (slack.thread(channel, sent["ts"]) or [None])[0], 10)
    slack.wait_for(lambda: any(b.get("type") == "actions" for b in reply.blocks), timeout)
    return reply


def section_text(message_blocks: list) -> str:
    return "\n".join(b["text"]["text"] for b in message_blocks if b.get("type") == "section")
