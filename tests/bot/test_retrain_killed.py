"""A retrain whose process dies half way is marked failed, and the model in service stays
in service, untouched."""

import os
import signal

from bot.config import BotConfig
from pipeline.embedded import EMBEDDED_LLM
from storage import Database
from storage.jobs import JobStore
from storage.models import ModelStore
from tests.bot.conftest import ADMIN
from tests.bot.helpers import answered, section_text


def test_killed_retrain_is_failed_and_model_unchanged(make_bot, slack, db_path, tmp_path):
    db = Database(db_path)
    models = ModelStore(db)
    folder = tmp_path / "model-in-service"
    folder.mkdir()
    (folder / "adapter_config.json").write_text("{}")
    in_service = models.add_candidate(name="model-in-service", base_model=EMBEDDED_LLM,
                                      adapter_path=str(folder), gguf_adapter_path=None, report={})
    models.promote(in_service)
    before = models.list()
    bot, _ = make_bot(BotConfig(retrain={"max_steps": 500, "batch_size": 1, "max_length": 128}))

    sent = slack.slash("/postmortem-retrain", user=ADMIN, channel="C1")
    assert "Started retrain job #1" in slack.wait_ack(sent["envelope_id"], 3)["payload"]["text"]
    jobs = JobStore(db)
    # Half way: the training loop is running (a step has been reported).
    job = slack.wait_for(lambda: (lambda j: j if j["step"] >= 1 and j["message"].startswith("training") else None)(jobs.get(1)), 600)
    os.kill(job["pid"], signal.SIGKILL)

    failed = slack.wait_for(lambda: (lambda j: j if j["status"] == "failed" else None)(jobs.get(1)), 15)
    assert "interrupted" in failed["message"]
    progress = [m for m in slack.messages.values() if m.channel == "C1"][0]
    slack.wait_for(lambda: "— failed" in progress.blocks[0]["text"]["text"], 10)
    assert "interrupted" in section_text(progress.blocks)

    # The registry is exactly as before: same current model, no half-made candidate.
    assert models.list() == before and models.current()["id"] == in_service
    assert [p.name for p in folder.iterdir()] == ["adapter_config.json"]  # its files untouched
    reply = answered(slack, slack.mention("webhook dispatcher memory leak", channel="C2"), channel="C2")
    meta = " ".join(b["elements"][0]["text"] for b in reply.blocks if b["type"] == "context")
    assert "Model: model-in-service" in meta
