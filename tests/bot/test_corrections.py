"""👎 opens a correction form; its submission is a human label on the incident: the stored
category changes at once, survives the next sync, shows as pending in App Home and is in
the next dataset. 👍 records (question, incident) as a positive retrieval example."""

from bot import blocks
from pipeline.ingest.extractors.local import LocalFolder
from pipeline.ingest.sync import ingest
from pipeline.learn.dataset import build_dataset
from storage import Database
from storage.answers import AnswerStore
from tests.bot.helpers import answered, section_text
from tests.paths import SAMPLES


def test_thumbs_down_correction_reaches_the_incident_and_the_next_dataset(bot, slack, db_path):
    sent = slack.mention("card tokenizer certificate expired, what did we do?")
    reply = answered(slack, sent, timeout=120)
    db = Database(db_path)
    answer = AnswerStore(db).thread("C1", sent["ts"])[0]
    cited = answer["sources"][0]
    before = db.find_incidents(cited["source_id"], cited["source"])[0]
    assert before["root_cause_category"] != "network"

    click = slack.click(reply, blocks.VOTE_DOWN, user="U2")
    slack.wait_ack(click["envelope_id"], 3)
    modal = slack.wait_for(lambda: slack.modals, 5)[0]
    assert modal["trigger_id"] and modal["view"]["private_metadata"] == str(answer["id"])
    assert db.db["feedback"].count == 1  # the vote counts even if the form is closed

    # Submitting without saying what was wrong is refused in the form itself.
    refused = slack.wait_ack(slack.submit(modal, {"category": "network"}, user="U2"), 3)
    assert refused["payload"]["response_action"] == "errors"

    cause = "The renewal job pointed at a retired issuer, so the certificate silently lapsed."
    slack.wait_ack(slack.submit(modal, {"incident": "0", "what": "wrong-category", "category": "network",
                                        "cause": cause}, user="U2"), 3)
    # Stored after the form is acked (the ack has to be within 3 s): wait for the incident.
    after = slack.wait_for(lambda: next((i for i in db.find_incidents(cited["source_id"], cited["source"])
                                         if i["root_cause_category"] == "network"), None), 5)
    assert after["root_cause"] == cause
    assert after["provenance"]["root_cause_category"] == "human"
    label = db.labels()[0]
    assert (label["author"], label["origin"], label["what_was_wrong"], label["answer_id"]) == (
        "U2", "slack", "wrong-category", answer["id"])

    # The next sync re-reads the folder: the person's correction still wins over the parser.
    ingest(db, LocalFolder(SAMPLES / "acme-pay", name="acme-pay"))
    assert db.find_incidents(cited["source_id"], cited["source"])[0]["root_cause_category"] == "network"

    # The next retrain's data teaches the corrected category and cause.
    dataset = build_dataset(db)
    examples = [e for side in dataset.values() for e in side
                if e["source_id"] == cited["source_id"] and e["question"] == "root_cause"]
    assert examples and examples[0]["completion"].startswith("[network]") and cause in examples[0]["completion"]

    # App Home: made after the serving (base) model, so pending for the next retrain.
    slack.wait_ack(slack.home_opened(user="U2"))
    home = section_text(slack.wait_for(lambda: slack.views, 10)[0]["view"]["blocks"])
    assert "1 pending for the next retrain" in home and "wrong-category" in home
    assert not slack.errors
