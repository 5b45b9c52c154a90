"""App Home: model, latest eval table with its trend, corpus stats, jobs, feedback."""

from storage import Database
from storage.answers import AnswerStore
from storage.jobs import JobStore
from storage.models import ModelStore
from tests.bot.helpers import section_text
from tests.paths import SAMPLES


def test_home_published_with_eval_numbers(bot, slack, db_path):
    db = Database(db_path)
    models = ModelStore(db)
    model_id = models.add_candidate(name="smollm-lora-test", base_model="SmolLM2-135M-Instruct",
                                    adapter_path="/nowhere", gguf_adapter_path=None, report={})
    models.add_eval_run(model_id=None, n_incidents=3, results={
        "base": {"category_em": 0.2, "fix_rougeL": 0.11, "services_f1": 0.3, "mean": 0.2033},
        "retrieval-only": {"category_em": 0.5, "fix_rougeL": 0.2, "services_f1": 0.4, "mean": 0.3667},
    })
    models.add_eval_run(model_id=model_id, n_incidents=3, results={
        "base": {"category_em": 0.2, "fix_rougeL": 0.11, "services_f1": 0.3, "mean": 0.2033},
        "fine-tuned": {"category_em": 0.6667, "fix_rougeL": 0.25, "services_f1": 0.5, "mean": 0.4722},
        "fine-tuned+retrieval": {"category_em": 0.8, "fix_rougeL": 0.31, "services_f1": 0.55, "mean": 0.5533,
                                 "faithfulness": 0.9},
        "retrieval-only": {"category_em": 0.5, "fix_rougeL": 0.2, "services_f1": 0.4, "mean": 0.3667},
        "retrieval": {"recall@3": 0.75},
    })
    models.promote(model_id)
    jobs = JobStore(db)
    jobs.finish(jobs.create("sync", {"source": "all"}, requested_by="U1"), "succeeded", result={})
    # Votes over two days: the trend line. One correction made before the model was trained
    # (applied), one after (pending).
    answers = AnswerStore(db)
    for day, votes in (("2026-01-01", ["up", "down"]), ("2026-01-02", ["up", "up"])):
        for i, vote in enumerate(votes):
            answer_id = answers.add(user="U1", channel="C1", thread_ts=f"{day}.{i}", question="q")
            answers.vote(answer_id, f"U{i}", vote)
            db.db.execute("update feedback set created_at = ? where answer_id = ?", [day + "T10:00:00+00:00", answer_id])
    incident = db.incidents()[0]
    for when, category in (("2000-01-01T00:00:00+00:00", "network"), ("2999-01-01T00:00:00+00:00", "database")):
        label = db.add_label(incident["source"], incident["source_id"], author="U9", origin="slack",
                             what_was_wrong="wrong-category", root_cause_category=category)
        db.db.execute("update labels set created_at = ? where id = ?", [when, label])
    db.db.conn.commit()

    slack.wait_ack(slack.home_opened(user="U1"))
    view = slack.wait_for(lambda: slack.views, 10)[0]
    assert view["user_id"] == "U1" and view["view"]["type"] == "home"
    text = section_text(view["view"]["blocks"])
    assert "smollm-lora-test" in text
    assert "fine-tuned+retrieval" in text and "0.800" in text and "0.553" in text  # latest table
    assert "Trend over the last 2 runs" in text and "0.203 → 0.203" in text
    assert "15 incidents" in text and f"dir:{(SAMPLES / 'acme-pay').resolve().as_posix()}: 15" in text
    assert "#1 sync — succeeded" in text
    assert "👍 3" in text and "👎 1" in text
    figures = [b for b in view["view"]["blocks"] if "The model in service" in b.get("text", {}).get("text", "")][0]
    assert "category accuracy: *80%*" in figures["text"]["text"] and "faithfulness: *90%*" in figures["text"]["text"]
    assert "top-3 hit rate: *75%*" in figures["text"]["text"]
    trend = [b for b in view["view"]["blocks"] if b["type"] == "context" and "Share of 👍" in b["elements"][0]["text"]]
    assert trend and "2026-01-01 → 2026-01-02" in trend[0]["elements"][0]["text"] and "50% → 100%" in trend[0]["elements"][0]["text"]
    assert "1 pending for the next retrain  ·  1 applied" in text and "root cause category → database" in text
    assert not slack.errors
