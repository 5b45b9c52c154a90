"""Follow-ups in a thread the bot answered in, without a new @mention; other replies, other
bots and the bot itself are left alone."""

from storage import Database
from storage.answers import AnswerStore
from tests.bot.helpers import answered
from tests.fakes.slack import BOT_USER


def bot_replies(slack, channel, thread_ts):
    return [m for m in slack.thread(channel, thread_ts) if m.user == BOT_USER]


def test_follow_up_question_in_the_thread_is_answered_with_its_context(bot, slack, db_path):
    sent = slack.mention("payments API returning 502s right after a deploy, what fixed it?")
    first = answered(slack, sent)
    thread = sent["ts"]

    # Conversation between people, another bot, someone else addressed: no answer.
    for kwargs in (
        dict(text="thanks, rolling back now"),
        dict(text="what was the root cause?", bot_id="B0OTHER", user="UOTHERBOT"),
        dict(text="<@U2> can you check the dashboards?"),
        dict(text="what did we change?", subtype="message_changed"),
    ):
        slack.wait_ack(slack.message(channel="C1", thread_ts=thread, **kwargs)["envelope_id"])
    # A question at the top of the channel is not a follow-up either (a mention is needed).
    slack.wait_ack(slack.message("how did we detect it?", channel="C1")["envelope_id"])

    follow = slack.message("and how did we detect it?", channel="C1", thread_ts=thread, user="U2")
    slack.wait_ack(follow["envelope_id"], 3)
    second = slack.wait_for(lambda: len(bot_replies(slack, "C1", thread)) == 2 and bot_replies(slack, "C1", thread)[1], 10)
    slack.wait_for(lambda: any(b.get("type") == "actions" for b in second.blocks), 120)
    assert len(bot_replies(slack, "C1", thread)) == 2  # the other replies got nothing
    assert [r["timestamp"] for r in slack.reactions] == [sent["ts"], follow["ts"]]

    answers = AnswerStore(Database(db_path)).thread("C1", thread)
    assert [a["question"] for a in answers] == [
        "payments API returning 502s right after a deploy, what fixed it?",
        "and how did we detect it?",
    ]
    # With the earlier question as context, the follow-up finds the same incident.
    assert answers[1]["sources"][0]["incident_title"] == answers[0]["sources"][0]["incident_title"]
    assert first.ts != second.ts and not slack.errors

    # A reply that mentions the bot arrives twice (app_mention and message): answered once.
    mention = slack.mention("show me the timeline of [1]", thread_ts=thread)
    slack.wait_ack(mention["envelope_id"])
    twin = slack.message(f"<@{BOT_USER}> show me the timeline of [1]", channel="C1", thread_ts=thread, ts=mention["ts"])
    slack.wait_ack(twin["envelope_id"])
    slack.wait_for(lambda: len(bot_replies(slack, "C1", thread)) == 3, 10)
    slack.wait_for(lambda: all(any(b.get("type") == "actions" for b in m.blocks)
                               for m in bot_replies(slack, "C1", thread)), 120)
    assert len(bot_replies(slack, "C1", thread)) == 3 and not slack.errors
