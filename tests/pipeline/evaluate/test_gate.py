"""The promotion gate and `postmortem models list|promote|rollback|gate`."""

import pytest
from click.testing import CliRunner

from pipeline.evaluate.harness import EvalConfig, EvalError
from pipeline.evaluate.gate import GateConfig, compare, decide, gate
from storage.models import ModelStore


def test_decide_needs_the_interval_above_the_margin():
    assert decide(0.06, 0.05)
    assert not decide(0.05, 0.05)  # equal to the margin is not beating it
    assert not decide(-0.01, 0.0)
    assert decide(-0.01, -0.02)


def _run(candidate, baseline):
    return {"details": {"per_incident": {"fine-tuned+retrieval": {"category": candidate},
                                         "base+retrieval": {"category": baseline}}}}


def test_compare_is_paired_and_its_interval_is_the_noise():
    # The same one-in-ten improvement: an interval that excludes zero at 200 incidents, not at 10.
    few = compare(_run([1.0] + [0.0] * 9, [0.0] * 10), "served_category", "fine-tuned", "base")
    many = compare(_run(([1.0] + [0.0] * 9) * 20, [0.0] * 200), "served_category", "fine-tuned", "base")
    assert few["difference"] == pytest.approx(0.1) and many["difference"] == pytest.approx(0.1)
    assert few["interval"][0] <= 0.0 < many["interval"][0]
    assert many["interval"][1] - many["interval"][0] < few["interval"][1] - few["interval"][0]
    # Pairs stay together; incidents a system was not scored on are left out of both.
    skipped = compare(_run([1.0, None, 0.0], [0.0, 1.0, None]), "served_category", "fine-tuned", "base")
    assert skipped["n"] == 1 and skipped["interval"] == (1.0, 1.0)


@pytest.fixture
def registry_db(incident_db):
    # A stored split with one held-out incident keeps each gate's evaluation short.
    incident_db.db["splits"].insert_all(
        [{"source": r["source"], "source_id": r["source_id"], "split": "heldout" if r["source_id"] == "kafka-disk" else "train"}
         for r in incident_db.incidents()]
    )
    return incident_db


def _candidate(store, tiny_adapter, name):
    folder, gguf_path = tiny_adapter
    return store.add_candidate(name=name, base_model="embedded", adapter_path=str(folder),
                               gguf_adapter_path=str(gguf_path), report={})


def test_gate_promotes_only_a_candidate_that_beats_the_serving_model(registry_db, tiny_adapter, tmp_path):
    store = ModelStore(registry_db)
    eval_config = EvalConfig(max_tokens=4, output_dir=str(tmp_path))

    first = _candidate(store, tiny_adapter, "first")
    # One held-out incident: too few to decide; the candidate stays a candidate.
    result = gate(registry_db, first, GateConfig(metric="fix_rougeL", margin=-1.0), eval_config=eval_config)
    assert not result.promoted and not result.decided and result.n == 1
    assert "too few held-out incidents to decide (1 < 20)" in result.gate_reason
    assert store.get(first)["status"] == "candidate"
    assert eval_config.model is None  # the caller's config is not the gate's to change

    result = gate(registry_db, first, GateConfig(metric="fix_rougeL", margin=-1.0, min_heldout=1), eval_config=eval_config)
    # No current model yet: the base model is the one to beat.
    assert result.promoted and result.decided and result.baseline == "base"
    assert store.current()["id"] == first
    run = store.eval_run(result.eval_run_id)
    # The same incidents' scores as the stored table (which rounds to 4 places).
    assert result.candidate_score == pytest.approx(run["results"]["fine-tuned"]["fix_rougeL"], abs=1e-4)
    assert result.baseline_score == pytest.approx(run["results"]["base"]["fix_rougeL"], abs=1e-4)
    assert "paired bootstrap, n=1" in result.gate_reason
    assert {"promoted", "model_name", "gate_reason", "interval"} <= set(result.to_dict())

    second = _candidate(store, tiny_adapter, "second")
    result = gate(registry_db, second, GateConfig(metric="served_mean", margin=1.0, min_heldout=1), eval_config=eval_config)
    # Compared with the current model in the same run, and no score beats it by 1.0.
    assert not result.promoted and result.baseline == "current"
    assert "current+retrieval" in store.eval_run(result.eval_run_id)["results"]
    assert "does not beat the current model" in result.gate_reason
    assert store.get(second)["status"] == "rejected" and store.current()["id"] == first

    with pytest.raises(EvalError, match="already the current model"):
        gate(registry_db, first, eval_config=eval_config)
    with pytest.raises(EvalError, match="unknown gate metric"):
        gate(registry_db, second, GateConfig(metric="bleu"))


def test_models_cli(registry_db, tiny_adapter):
    from pipeline.cli import main

    store = ModelStore(registry_db)
    db = ["--db", str(registry_db.path)]
    run = lambda *args: CliRunner().invoke(main, [*args, *db])  # noqa: E731

    assert "No trained models" in run("models", "list").output
    a, b = _candidate(store, tiny_adapter, "model-a"), _candidate(store, tiny_adapter, "model-b")
    assert "no previous model" in run("models", "rollback").output

    assert run("models", "promote", str(a)).exit_code == 0
    out = run("models", "promote", str(b))
    assert out.exit_code == 0 and "model-b is now the current model" in out.output
    listing = run("models", "list").output
    assert f"#{b:<4}current" in listing and f"#{a:<4}retired" in listing

    out = run("models", "rollback")
    assert out.exit_code == 0 and "model-a is the current model again" in out.output
    assert store.current()["id"] == a and store.get(b)["status"] == "rejected"

    out = run("models", "promote", "999")
    assert out.exit_code == 1 and "no model #999" in out.output
    out = run("models", "gate", str(b), "--metric", "bleu")
    assert out.exit_code == 1 and "unknown gate metric" in out.output
