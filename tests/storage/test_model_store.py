"""The model registry stores absolute paths and knows which folders hold a model's files."""

import os

from storage import Database
from storage.models import ModelStore


def test_paths_are_stored_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = ModelStore(Database(tmp_path / "pm.db"))
    model_id = store.add_candidate(name="m", base_model="b", adapter_path="checkpoints/final",
                                   gguf_adapter_path="checkpoints/final/adapter.gguf", report={})
    model = store.get(model_id)
    assert model["adapter_path"] == str(tmp_path / "checkpoints" / "final")
    assert model["gguf_adapter_path"] == str(tmp_path / "checkpoints" / "final" / "adapter.gguf")
    # From another folder the row still names the same files.
    os.chdir("/")
    assert ModelStore(Database(tmp_path / "pm.db")).get(model_id)["adapter_path"] == str(tmp_path / "checkpoints" / "final")


def test_folders_holding_a_models_files(tmp_path):
    store = ModelStore(Database(tmp_path / "pm.db"))
    serving = store.add_candidate(name="a", base_model="b", adapter_path=str(tmp_path / "run-a" / "final"),
                                  gguf_adapter_path=None, report={})
    store.promote(serving)
    rejected = store.add_candidate(name="c", base_model="b", adapter_path=str(tmp_path / "run-c" / "final"),
                                   gguf_adapter_path=None, report={})
    store.set_status(rejected, "rejected")
    assert [m["id"] for m in store.using_path(tmp_path / "run-a")] == [serving]
    assert [m["id"] for m in store.using_path(tmp_path)] == [serving]
    assert store.using_path(tmp_path / "run-a2") == []  # a prefix of the name is not the folder
    assert store.using_path(tmp_path / "run-c") == []  # a rejected model's files may go
