"""Suite-wide settings: offline models, no proxies (slack_sdk honours HTTP(S)_PROXY and ignores
NO_PROXY, so a proxy variable would send loopback traffic away)."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)


import pytest  # noqa: E402


@pytest.fixture
def fake_github(monkeypatch):
    """A fake GitHub REST API on loopback, with GITHUB_API_URL pointing at it: PyGithub and the
    `postmortem extract --source github` command run against it (the Slack sync-job tests too)."""
    from pathlib import Path

    from tests.fakes.github import FakeGitHub

    with FakeGitHub(token="ghp_fake_token") as server:  # other tokens get 401, as on GitHub
        # `acme/runbooks` serves the Acme Pay sample repository until a test replaces it.
        server.add_repo("acme/runbooks", folder=Path(__file__).resolve().parents[1] / "samples" / "acme-pay")
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        monkeypatch.setenv("GITHUB_TOKEN", "ghp_fake_token")
        yield server
