"""App Home: model, latest eval table with its trend, corpus stats, jobs, feedback."""

from storage import Database
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
        "fine-tuned+retrieval": {"category_em": 0.8, "fix_rougeL": 0.31, "services_f1": 0.55, "mean": 0.5533},
        "retrieval-only": {"category_em": 0.5, "fix_rougeL": 0.2, "services_f1": 0.4, "mean": 0.3667},
    })
    models.promote(model_id)
    jobs = JobStore(db)
    jobs.finish(jobs.create("sync", {"source": "all"}, requested_by="U1"), "succeeded", result={})

    slack.wait_ack(slack.home_opened(user="U1"))
    view = slack.wait_for(lambda: slack.views, 10)[0]
    assert view["user_id"] == "U1" and view["view"]["type"] == "home"
    text = section_text(view["view"]["blocks"])
    assert "smollm-lora-test" in text
    assert "fine-tuned+retrieval" in text and "0.800" in text and "0.553" in text  # latest table
    assert "Trend over the last 2 runs" in text and "0.203 → 0.203" in text
    assert "15 incidents" in text and f"dir:{(SAMPLES / 'acme-pay').resolve().as_posix()}: 15" in text
    assert "#1 sync — succeeded" in text
    assert "👍 0" in text
    assert not slack.errors
