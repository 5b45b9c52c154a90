"""A real, short LoRA run on the embedded SmolLM2: loss falls, the adapter is saved, reloads,
is registered, and its GGUF export changes what llama.cpp computes. Plus the clear errors."""

import json
import math
from pathlib import Path

import numpy as np
import click
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.learn.dataset import split_of
from pipeline.learn.train import TrainConfig, TrainError, train
from storage import Database
from storage.models import ModelStore

SERVICES = ["payments-api", "ledger-db", "auth-service", "search-api", "kafka", "edge-proxy"]
CAUSES = [
    ("capacity", "The connection pool was too small for the autoscaled pods."),
    ("deployment", "A release lowered the keep-alive timeout below the proxy's."),
    ("network", "A DNS resolver was throttled and lookups timed out."),
]


def incidents(n):
    out = []
    for i in range(n):
        category, cause = CAUSES[i % 3]
        service = SERVICES[i % len(SERVICES)]
        out.append({
            "source": "test", "source_id": f"inc-{i}", "content_hash": str(i),
            "incident_title": f"{service} outage {i}",
            "timeline": f"10:0{i % 10} alert for {service}\n10:30 mitigated\n10:45 resolved",
            "services_affected": [service],
            "root_cause": cause,
            "fix": f"Restarted {service} and raised the limit.",
            "root_cause_category": category,
        })
    return out


@pytest.fixture
def train_db(tmp_path):
    path = tmp_path / "pm.db"
    db = Database(path)
    for row in incidents(10):
        db.upsert_incident(row)
    db.close()
    return path


def test_training_smoke_run(train_db, tmp_path, embedded_base, capfd):
    progress = []
    out = tmp_path / "ckpt"
    config = TrainConfig(db=str(train_db), output_dir=str(out), max_steps=8, batch_size=4,
                         learning_rate=2e-3, max_length=128, seed=0)
    report = train(config, on_progress=lambda *a: progress.append(a))
    assert "'loss'" not in capfd.readouterr().out  # progress goes to on_progress, not printed logs

    # The held-out incidents stayed out of training.
    n_train = sum(split_of("test", f"inc-{i}") == "train" for i in range(10))
    assert report["train_examples"] == 3 * n_train and report["heldout_examples"] == 3 * (10 - n_train)
    loss = report["loss"]
    assert report["steps"] == 8 and len(loss) == 8
    assert all(math.isfinite(x) for x in loss)
    assert np.mean(loss[-3:]) < 0.8 * np.mean(loss[:3]), loss
    assert report["tokens_per_s"] > 0 and report["examples_per_s"] > 0
    assert [p[0] for p in progress] == list(range(1, 9)) and {p[1] for p in progress} == {8}
    assert [p[2] for p in progress] == loss and math.isfinite(progress[-1][3])

    final = Path(report["final_dir"])
    assert final == out / "final"
    for name in ("adapter_model.safetensors", "adapter_config.json", "report.json", "loss.png", "adapter.gguf"):
        assert (final / name).is_file(), name
    assert json.loads((final / "report.json").read_text())["model_id"] == report["model_id"]

    db = Database(train_db)
    row = ModelStore(db).get(report["model_id"])
    db.close()
    assert row["status"] == "candidate" and row["adapter_path"] == str(final)
    assert row["gguf_adapter_path"] == str(final / "adapter.gguf") and row["report"]["steps"] == 8

    # Reloaded, the adapter changes the model's prediction; in llama.cpp too, through the GGUF.
    # (Imported only now: train() chooses torch's thread wait policy if torch isn't loaded.)
    import torch
    from llama_cpp import Llama
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from pipeline.embedded import embedded_gguf_path

    prompt_ids = list(range(400, 430))
    base = AutoModelForCausalLM.from_pretrained(embedded_base, dtype=torch.float32).eval()
    with torch.no_grad():
        before = base(torch.tensor([prompt_ids])).logits[0, -1]
        tuned = PeftModel.from_pretrained(base, str(final)).eval()
        after = tuned(torch.tensor([prompt_ids])).logits[0, -1]
    assert (after - before).abs().max() > 0.1

    def llama_logits(**kw):
        llm = Llama(model_path=str(embedded_gguf_path()), n_ctx=128, n_threads=2, logits_all=True,
                    verbose=False, **kw)
        llm.eval(prompt_ids)
        logits = np.array(llm.scores[len(prompt_ids) - 1])
        llm.close()
        return logits

    cpp_delta = llama_logits(lora_path=str(final / "adapter.gguf")) - llama_logits()
    assert np.corrcoef(cpp_delta, (after - before).numpy())[0, 1] > 0.9

    # --resume continues from the checkpoint the run left, not from scratch.
    resumed = train(TrainConfig(**{**config.__dict__, "max_steps": 9, "resume": True}))
    assert resumed["steps"] == 9 and resumed["loss"][:8] == loss and len(resumed["loss"]) == 9
    assert resumed["model_id"] != report["model_id"]


def test_clear_errors(tmp_path, train_db):
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(main, ["train", *args])
        assert result.exit_code != 0 and "Traceback" not in result.output
        return result.output

    assert "no incidents" in run("--db", str(tmp_path / "empty.db"))
    import torch

    if not torch.cuda.is_available():
        assert "--require-gpu" in run("--db", str(train_db), "--require_gpu")  # the seed's spelling works
    assert "no such GGUF file" in run("--db", str(train_db), "--base_model", str(tmp_path / "none.gguf"))
    assert "could not be loaded" in run("--db", str(train_db), "--base_model", "no-such-org/no-such-model")
    assert "no train.jsonl" in run("--db", str(train_db), "--dataset", str(tmp_path))
    assert "no checkpoint" in run("--db", str(train_db), "--output_dir", str(tmp_path / "x"), "--resume")
    # `train --source` syncs first, through the same sync as `extract` (train() never extracts).
    assert "--source dir needs --path" in run("--db", str(train_db), "--source", "dir")
    with pytest.raises(TrainError, match="no incidents") as raised:
        train(TrainConfig(db=str(tmp_path / "empty2.db")))
    assert not isinstance(raised.value, click.ClickException)  # a domain error; the CLI words it


def test_training_from_a_dataset_folder(train_db, tmp_path, embedded_base):
    """`train --dataset DIR` trains on the examples in DIR/train.jsonl, not on a set built from
    the database (which still holds the registry)."""
    from pipeline.learn.dataset import write_dataset

    folder = tmp_path / "ds"
    db = Database(train_db)
    write_dataset(db, folder, served_examples=False)
    db.close()
    rows = (folder / "train.jsonl").read_text().splitlines()[:4]  # fewer than the database would give
    (folder / "train.jsonl").write_text("\n".join(rows) + "\n")
    report = train(TrainConfig(db=str(train_db), dataset=str(folder), output_dir=str(tmp_path / "out"),
                               max_steps=2, batch_size=2, max_length=64, seed=0))
    assert report["train_examples"] == 4 and report["steps"] == 2
    assert report["settings"]["dataset"] == str(folder)
    assert Path(report["adapter_gguf"]).is_file()
