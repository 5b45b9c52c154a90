"""Fake Notion and Confluence servers on loopback, serving the sample corpus, with the
environment the connector registry reads pointed at them."""

import pytest

from pipeline.ingest.extractors.retry import RetryPolicy
from storage import Database
from tests.fakes.confluence import FakeConfluence
from tests.fakes.notion import FakeNotion
from tests.fakes.samples import sample_pages



@pytest.fixture(scope="session")
def corpus():
    pages = sample_pages()
    if not pages:
        pytest.skip("no sample corpus under samples/")
    return pages


@pytest.fixture(scope="session")
def some_pages(corpus):
    """A dozen pages across the three organizations: enough for pagination, quick to sync."""
    return corpus[::4]


@pytest.fixture
def fast():
    """Retries as in production, minus most of the waiting (Retry-After is still honoured)."""
    return RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, max_consecutive_failures=3)


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "pm.db")
    yield database
    database.close()


@pytest.fixture
def fake_notion(monkeypatch, some_pages):
    with FakeNotion(some_pages) as server:
        monkeypatch.setenv("NOTION_TOKEN", server.token)
        monkeypatch.setenv("NOTION_API_URL", server.url)
        yield server


@pytest.fixture
def fake_confluence(monkeypatch, some_pages):
    with FakeConfluence(some_pages) as server:
        monkeypatch.setenv("CONFLUENCE_URL", server.url)
        monkeypatch.setenv("CONFLUENCE_USER", server.user)
        monkeypatch.setenv("CONFLUENCE_TOKEN", server.token)
        monkeypatch.setenv("CONFLUENCE_CLOUD", "1")
        yield server
