"""@postmortem <question> -> reaction, streamed threaded reply, final Block Kit answer."""

from bot import blocks
from storage import Database
from storage.answers import AnswerStore


def test_mention_gets_threaded_answer_with_sources(bot, slack, db_path):
    sent = slack.mention("payments API returning 502s right after a deploy, what fixed it?", channel="C1")
    slack.wait_ack(sent["envelope_id"])

    # Acknowledged at once: a reaction on the question and a reply in its thread.
    slack.wait_for(lambda: slack.reactions, 5)
    assert slack.reactions[0]["name"] == "eyes" and slack.reactions[0]["timestamp"] == sent["ts"]
    reply = slack.wait_for(lambda: (slack.thread("C1", sent["ts"]) or [None])[0], 5)

    # Finished: the reply now carries the feedback buttons.
    def finished():
        return any(b.get("type") == "actions" for b in reply.blocks)

    slack.wait_for(finished, 60)
    text = "\n".join(b["text"]["text"] for b in reply.blocks if b["type"] == "section")
    assert "Similar past incidents" in text
    assert "Payments API 502s after v4.12 release" in text  # the matching sample post-mortem
    assert "score" in text and "2023-08-02" in text
    # The meta line (a note on dropped sentences may come before it, depending on the model).
    contexts = [b["elements"][0]["text"] for b in reply.blocks if b["type"] == "context"]
    assert any("Root cause category" in c and "Confidence" in c for c in contexts)
    buttons = [e["action_id"] for b in reply.blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [blocks.VOTE_UP, blocks.VOTE_DOWN]

    # Evidence first: the reply's first version already named the matching incident, its
    # cause and fix; the final version keeps it at the top, above the checked synthesis.
    first = "\n".join(b["text"]["text"] for b in reply.history[0]["blocks"] if b["type"] == "section")
    assert first.startswith("This looks like [1] Payments API 502s after v4.12 release")
    assert "Root cause:" in first and "What fixed it:" in first
    assert text.startswith(first.split("\n")[0])
    assert not slack.errors

    stored = Database(db_path).db["answers"].rows
    answer = list(stored)[0]
    assert answer["thread_ts"] == sent["ts"] and answer["message_ts"] == reply.ts
    assert answer["answer"] and answer["error_id"] == ""
    assert AnswerStore(Database(db_path)).get(answer["id"])["sources"][0]["incident_title"]


def test_redelivered_event_is_answered_once(bot, slack):
    sent = slack.mention("ledger replica lag, how did we fix it?")
    slack.wait_ack(sent["envelope_id"])
    again = slack.redeliver(sent["payload"])
    slack.wait_ack(again)
    reply = slack.wait_for(lambda: (slack.thread("C1", sent["ts"]) or [None])[0], 5)
    slack.wait_for(lambda: any(b.get("type") == "actions" for b in reply.blocks), 60)
    assert len(slack.thread("C1", sent["ts"])) == 1
    assert len(slack.reactions) == 1


def test_empty_mention_gets_usage_help(bot, slack):
    sent = slack.mention("")
    reply = slack.wait_for(lambda: (slack.thread("C1", sent["ts"]) or [None])[0], 5)
    assert "Ask me about past incidents" in reply.blocks[0]["text"]["text"]
    assert not slack.reactions
