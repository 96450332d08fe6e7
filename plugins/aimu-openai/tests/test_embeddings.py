"""Embeddings through the real openai SDK: against the loopback server (scripted faults) and a real
llama-cpp-python server serving the embedded Gemma GGUF with mean pooling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest
from aimu_openai.embeddings import OpenAIEmbeddingClient
from aimu_openai.testing import OpenAIWireServer

import aimu_core
from aimu_core.errors import AuthenticationError, ConfigurationError, ProviderError
from aimu_core.testing import FAKE_DIMENSIONS, Response, fake_vector
from aimu_core.testing.embedding_conformance import EmbeddingConformance
from conftest import LIVE_MODEL, serve_gguf


class TestWireEmbeddings(EmbeddingConformance):
    """openai-compat embeddings over the wire, every fault scripted."""

    scripted = True
    empty_string = "error"

    @pytest.fixture
    def model_string(self, wire: OpenAIWireServer) -> str:
        return f"openai-compat:embedder@{wire.url}"

    @pytest.fixture
    def client_options(self) -> dict[str, Any]:
        return {"max_retries": 0}

    @pytest.fixture
    def script(self, wire: OpenAIWireServer) -> Any:
        return wire.script


@pytest.fixture(scope="session")
def llama_embedding_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama_cpp.server with embeddings on, the Gemma GGUF given mean pooling (it declares none)."""
    with serve_gguf(
        tmp_path_factory,
        "llama-embedding-server",
        "--n_ctx",
        "512",
        "--embedding",
        "True",
        "--kv_overrides",
        "gemma3.pooling_type=int:1",
    ) as url:
        yield url


class TestLlamaServerEmbeddings(EmbeddingConformance):
    """The real llama.cpp server: live, so no faults; this plugin refuses "" before sending."""

    empty_string = "error"
    #: llama.cpp computes a text a little differently beside others in one batch (measured:
    #: cosine 0.99997 between a text alone and second in a batch of two).
    tolerance = 0.02

    @pytest.fixture
    def model_string(self, llama_embedding_server: str) -> str:
        return f"llamaserver:{LIVE_MODEL}@{llama_embedding_server}"

    @pytest.fixture
    def client_options(self) -> dict[str, Any]:
        return {"max_retries": 0, "timeout": 120}


def test_aimu_gives_the_vectors_of_the_raw_sdk(llama_embedding_server: str) -> None:
    texts = ["The capital of France is Paris.", "A kitten sleeps."]
    raw = openai.OpenAI(base_url=llama_embedding_server, api_key="unused")
    expected = [d.embedding for d in raw.embeddings.create(model=LIVE_MODEL, input=texts).data]
    raw.close()
    got = aimu_core.embed(texts, f"llamaserver:{LIVE_MODEL}@{llama_embedding_server}")
    assert len(got) == 2 and len(got[0]) == 640
    for mine, theirs in zip(got, expected, strict=True):
        assert mine == pytest.approx(theirs, abs=1e-6)


def test_requests_carry_the_model_and_batches(wire: OpenAIWireServer) -> None:
    with aimu_core.embedding_client(f"vllm:e5@{wire.url}", batch_size=2, max_retries=0) as client:
        vectors = client.embed(["a", "b", "c"])
    assert vectors == [fake_vector(t) for t in "abc"]
    assert [b["input"] for b in wire.bodies] == [["a", "b"], ["c"]]
    assert {b["model"] for b in wire.bodies} == {"e5"}
    assert all(r.path == "/v1/embeddings" for r in wire.requests)


def test_the_openai_catalog_and_the_dimensions_option(wire: OpenAIWireServer) -> None:
    client = aimu_core.embedding_client(
        "openai:text-embedding-3-small", base_url=wire.url, api_key="sk-test", max_retries=0
    )
    assert client.dimensions == 1536 and wire.requests == []  # from the catalog, no call
    short = aimu_core.embedding_client(
        "openai:text-embedding-3-small",
        base_url=wire.url,
        api_key="sk-test",
        dimensions=FAKE_DIMENSIONS,
    )
    assert short.dimensions == FAKE_DIMENSIONS
    assert short.embed(["x"]) == [fake_vector("x")]
    assert wire.last["dimensions"] == FAKE_DIMENSIONS
    with pytest.raises(ConfigurationError, match="dimensions must be an integer"):
        aimu_core.embedding_client("openai:text-embedding-3-small", api_key="k", dimensions=0)


def test_the_openai_catalog_is_closed_and_needs_a_key(wire: OpenAIWireServer) -> None:
    with pytest.raises(aimu_core.errors.ModelNotFoundError, match="text-embedding-3-small"):
        aimu_core.embedding_client("openai:text-embedding-3-smal")
    with pytest.raises(AuthenticationError, match="OPENAI_API_KEY"):
        aimu_core.embedding_client("openai:text-embedding-3-small")
    assert isinstance(
        aimu_core.embedding_client("openai:text-embedding-3-small", api_key="k"),
        OpenAIEmbeddingClient,
    )


def test_a_server_that_pools_nothing_is_named(wire: OpenAIWireServer) -> None:
    per_token = [[[0.1, 0.2], [0.3, 0.4]]]
    wire.reply(
        Response.json(
            {
                "object": "list",
                "data": [{"object": "embedding", "index": 0, "embedding": per_token[0]}],
                "model": "m",
            }
        )
    )
    client = aimu_core.embedding_client(f"openai-compat:m@{wire.url}", max_retries=0)
    with pytest.raises(ProviderError, match="one vector per token"):
        client.embed(["two tokens"])


def test_a_reply_with_too_few_vectors_is_a_provider_error(wire: OpenAIWireServer) -> None:
    wire.reply(Response.json({"object": "list", "data": [], "model": "m"}))
    client = aimu_core.embedding_client(f"openai-compat:m@{wire.url}", max_retries=0)
    with pytest.raises(ProviderError, match="returned 0 vectors for 1 texts"):
        client.embed(["one"])


def test_empty_strings_are_refused_before_any_request(wire: OpenAIWireServer) -> None:
    client = aimu_core.embedding_client(f"openai-compat:m@{wire.url}", max_retries=0)
    with pytest.raises(ConfigurationError, match="empty string"):
        client.embed(["fine", ""])
    assert wire.requests == []


def test_aimu_models_lists_the_embedding_catalogs(capsys: pytest.CaptureFixture[str]) -> None:
    from aimu_core.cli import main

    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(
        line.startswith("openai:text-embedding-3-small") and "embedding, 1536" in line
        for line in lines
    )
    assert any(
        line.startswith("openai-compat:<id>@<url>") and "embedding" in line for line in lines
    )
