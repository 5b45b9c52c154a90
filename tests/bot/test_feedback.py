"""👍/👎 on an answer: acked, stored with the question and answer, one vote per user; 👍 is
also a positive (question, incident) retrieval example."""

from bot import blocks
from storage import Database
from storage.answers import AnswerStore
from tests.bot.helpers import answered


def test_feedback_click_is_stored(bot, slack, db_path):
    sent = slack.mention("card tokenizer certificate expired, what did we do?")
    reply = answered(slack, sent)

    click = slack.click(reply, blocks.VOTE_UP, user="U2")
    slack.wait_ack(click["envelope_id"])
    thanks = slack.wait_for(lambda: slack.responses.get(click["response_key"]), 5)
    assert thanks[0]["response_type"] == "ephemeral" and thanks[0]["replace_original"] is False

    db = Database(db_path)
    votes = slack.wait_for(lambda: list(db.db["feedback"].rows), 5)
    assert len(votes) == 1
    vote = votes[0]
    assert vote["vote"] == "up" and vote["user"] == "U2" and vote["message_ts"] == reply.ts
    assert vote["question"] == "card tokenizer certificate expired, what did we do?"
    answer = next(db.db["answers"].rows)
    assert vote["answer"] == answer["answer"] and vote["answer_id"] == answer["id"]
    answers = AnswerStore(db)
    example = answers.retrieval_examples()[0]
    top = answers.get(answer["id"])["sources"][0]
    assert (example["question"], example["source"], example["source_id"], example["user"]) == (
        vote["question"], top["source"], top["source_id"], "U2")

    # Changing one's mind replaces the vote; someone else's vote is another row.
    slack.wait_ack(slack.click(reply, blocks.VOTE_DOWN, user="U2")["envelope_id"])
    slack.wait_ack(slack.click(reply, blocks.VOTE_DOWN, user="U3")["envelope_id"])
    slack.wait_for(lambda: db.db["feedback"].count == 2 and
                   {r["vote"] for r in db.db["feedback"].rows} == {"down"}, 5)
    assert answers.retrieval_examples() == []  # no longer a positive example
    assert not slack.errors
