"""/postmortem-retrain end to end with a tiny number of steps: a job process trains, the gate
evaluates and promotes, the progress message ends with the eval table, and the running app
answers with the new model without a restart."""

from bot.config import BotConfig
from storage import Database
from storage.models import ModelStore
from tests.bot.conftest import ADMIN
from tests.bot.helpers import answered, section_text

TINY = {"max_steps": 1, "batch_size": 1, "max_length": 128, "eval_limit": 1}


def test_retrain_end_to_end_promotes_and_swaps_model(make_bot, slack, db_path, monkeypatch):
    # Whatever one step of training scores, let the gate promote it: this test is about the
    # plumbing (the gate's own decision is tested in tests/pipeline).
    monkeypatch.setenv("POSTMORTEM_GATE_MARGIN", "-1")
    monkeypatch.setenv("POSTMORTEM_GATE_MIN_HELDOUT", "1")  # eval_limit=1: one incident decides here
    # A folder's incidents are split by a hash of their source, which holds the folder's path:
    # from some checkouts none of the sample incidents would fall on the held-out side.
    db = Database(db_path)
    db.add_splits([{"source": i["source"], "source_id": i["source_id"], "split": "train" if n else "heldout"}
                   for n, i in enumerate(db.incidents())])
    db.close()
    bot, _ = make_bot(BotConfig(retrain=TINY))
    assert bot.answering.answerer.model_id is None  # the base model answers at first

    sent = slack.slash("/postmortem-retrain", user=ADMIN, channel="C1")
    assert slack.wait_ack(sent["envelope_id"], 3)["payload"]["text"].startswith("Started retrain job #1")
    progress = slack.wait_for(lambda: [m for m in slack.messages.values() if m.channel == "C1"], 5)[0]
    slack.wait_for(lambda: "— succeeded" in progress.blocks[0]["text"]["text"]
                   or "— failed" in progress.blocks[0]["text"]["text"], 600)
    text = section_text(progress.blocks)
    assert "— succeeded" in text, text
    assert "was promoted and is now answering" in text
    assert "fine-tuned" in text and "base" in text and "category_em" in text  # the eval table
    shown = " ".join(str(v["blocks"]) for v in progress.history)
    assert "training: loss" in shown  # per-step progress reached the channel

    current = ModelStore(Database(db_path)).current()
    assert current is not None and current["gguf_adapter_path"]

    # The app noticed the promotion and swapped models between answers.
    slack.wait_for(lambda: bot.answering.answerer.model_id == current["id"], 30)
    reply = answered(slack, slack.mention("kafka broker disk full, what did we do?", channel="C2"), channel="C2")
    meta = " ".join(b["elements"][0]["text"] for b in reply.blocks if b["type"] == "context")
    assert f"Model: {current['name']}" in meta
    assert not slack.errors
