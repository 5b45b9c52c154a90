"""Every training run writes into a folder of its own: never over a registered model's files."""

from pathlib import Path

import pytest

from pipeline.learn.train import TrainConfig, TrainError, _output_dir
from storage import Database
from storage.models import ModelStore


def test_the_default_folder_is_new_beside_the_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = Database(Path("data") / "pm.db")  # relative, as the default `data/postmortem.db` is
    first = Path(_output_dir(TrainConfig(), db, "smol-lora-1"))
    assert first == tmp_path / "data" / "models" / "smol-lora-1"
    (first / "final").mkdir(parents=True)
    # A second run in the same second gets another folder.
    assert Path(_output_dir(TrainConfig(), db, "smol-lora-1")) == tmp_path / "data" / "models" / "smol-lora-1-2"


def test_a_folder_holding_the_model_in_service_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = Database(tmp_path / "pm.db")
    store = ModelStore(db)
    serving = store.add_candidate(name="m", base_model="b", adapter_path="checkpoints/final",
                                  gguf_adapter_path=None, report={})
    store.promote(serving)
    with pytest.raises(TrainError, match=rf"{tmp_path / 'checkpoints'} holds the files of model #{serving} \(current\)"):
        _output_dir(TrainConfig(output_dir="./checkpoints"), db, "x")
    assert _output_dir(TrainConfig(output_dir="elsewhere"), db, "x") == str(tmp_path / "elsewhere")


def test_resume_may_replace_its_own_candidate_but_not_a_served_model(tmp_path):
    db = Database(tmp_path / "pm.db")
    store = ModelStore(db)
    run = tmp_path / "run"
    candidate = store.add_candidate(name="m", base_model="b", adapter_path=str(run / "final"),
                                    gguf_adapter_path=None, report={})
    assert _output_dir(TrainConfig(output_dir=str(run), resume=True), db, "x") == str(run)
    store.promote(candidate)
    with pytest.raises(TrainError, match="holds the files of model"):
        _output_dir(TrainConfig(output_dir=str(run), resume=True), db, "x")
