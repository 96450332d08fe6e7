"""Ollama embeddings (``/api/embed``) through the real ollama SDK against the fake server."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from aimu_ollama.embeddings import AsyncOllamaEmbeddingClient, OllamaEmbeddingClient
from aimu_ollama.testing import FakeOllama

import aimu_core
from aimu_core import aio
from aimu_core.errors import ConfigurationError, ModelNotFoundError, ProviderConnectionError
from aimu_core.testing import fake_vector
from aimu_core.testing.embedding_conformance import EmbeddingConformance


class TestOllamaEmbeddings(EmbeddingConformance):
    """The kit over the wire, every fault scripted."""

    scripted = True
    empty_string = "error"

    @pytest.fixture
    def model_string(self, server: FakeOllama) -> str:
        return f"ollama:nomic-embed-text@{server.url}"

    @pytest.fixture
    def script(self, server: FakeOllama) -> Any:
        return server.script


def test_the_request_is_ollamas(server: FakeOllama) -> None:
    with aimu_core.embedding_client(
        "ollama:all-minilm", base_url=server.url, batch_size=2, dimensions=4, keep_alive="5m"
    ) as client:
        assert client.dimensions == 4
        assert client.embed(["a", "b", "c"]) == [fake_vector(t, 4) for t in "abc"]
    assert [path for path, _ in server.requests] == ["/api/embed", "/api/embed"]
    first = server.requests[0][1]
    assert first == {
        "model": "all-minilm",
        "input": ["a", "b"],
        "truncate": True,
        "dimensions": 4,
        "keep_alive": "5m",
    }


def test_the_host_comes_from_ollama_host(server: FakeOllama, monkeypatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", server.url)
    client = aimu_core.embedding_client("ollama:all-minilm")
    assert isinstance(client, OllamaEmbeddingClient)
    assert client.embed(["x"]) == [fake_vector("x")]
    assert isinstance(aio.embedding_client("ollama:all-minilm"), AsyncOllamaEmbeddingClient)


def test_a_model_not_pulled_says_how_to_pull_it(server: FakeOllama) -> None:
    server.reset(models={"qwen3:8b": ()})
    client = aimu_core.embedding_client("ollama:nomic-embed-text", base_url=server.url)
    with pytest.raises(ModelNotFoundError, match="ollama pull nomic-embed-text"):
        client.embed(["x"])


def test_no_server_is_a_connection_error_naming_ollama_serve() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    client = aimu_core.embedding_client(f"ollama:all-minilm@{closed_url}")
    with pytest.raises(ProviderConnectionError, match="ollama serve"):
        client.embed(["x"])


def test_empty_strings_and_bad_options_are_refused_before_any_request(server: FakeOllama) -> None:
    client = aimu_core.embedding_client("ollama:all-minilm", base_url=server.url)
    with pytest.raises(ConfigurationError, match="empty string"):
        client.embed(["a", ""])
    with pytest.raises(ConfigurationError, match="dimensions"):
        aimu_core.embedding_client("ollama:all-minilm", base_url=server.url, dimensions=-2)
    assert server.requests == []


def test_aimu_models_lists_ollama_embeddings(capsys: pytest.CaptureFixture[str]) -> None:
    from aimu_core.cli import main

    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("ollama:<id>") and "embedding" in line for line in lines)
