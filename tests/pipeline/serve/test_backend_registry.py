"""The backend registry: `ask --backend` and build_backend read one table."""

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.serve.backends import BACKENDS, BackendConfig, BackendError, OpenAIBackend, build_backend


def test_backends_are_chosen_from_the_registry():
    assert set(BACKENDS) == {"llamacpp", "transformers", "openai"}
    help_text = " ".join(CliRunner().invoke(main, ["ask", "--help"]).output.split())
    assert "[" + "|".join(BACKENDS) + "]" in help_text
    backend = build_backend(BackendConfig("openai", "http://127.0.0.1:9/v1", "served"), {"name": "ignored"})
    assert isinstance(backend, OpenAIBackend)
    with pytest.raises(BackendError, match="needs --endpoint and --model-name"):
        build_backend(BackendConfig("openai"), None)
    with pytest.raises(BackendError, match="unknown backend 'vllm': llamacpp, transformers, openai"):
        build_backend(BackendConfig("vllm"), None)
