"""One table of POSTMORTEM_* settings: every variable documented, read nowhere else."""

import re

from pipeline import settings
from tests.paths import ROOT


def test_every_setting_is_in_the_readme_and_read_only_through_the_table():
    readme = (ROOT / "README.md").read_text()
    for setting in settings.SETTINGS.values():
        assert f"`{setting.env}`" in readme, setting.env
    readers = []
    for path in [*ROOT.joinpath("pipeline").rglob("*.py"), *ROOT.joinpath("bot").rglob("*.py")]:
        if path.name != "settings.py" and re.search(r"(?:environ\.get|getenv)\(\s*\"POSTMORTEM_", path.read_text()):
            readers.append(path.relative_to(ROOT).as_posix())
    assert readers == []  # the database path lives in storage.default_db_path, which imports none of ours


def test_a_blank_value_counts_as_unset(monkeypatch):
    monkeypatch.setenv("POSTMORTEM_BACKEND", "  ")
    assert settings.get("backend", "llamacpp") == "llamacpp"
    monkeypatch.setenv("POSTMORTEM_BACKEND", "openai")
    assert settings.get("backend", "llamacpp") == "openai"
