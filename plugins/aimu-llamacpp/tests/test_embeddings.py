"""Embeddings from the real embedded Gemma GGUF (mean-pooled, embedding=True) in this process."""

from __future__ import annotations

import math
from typing import Any

import aimu_llamacpp
import pytest

import aimu_core
from aimu_core.errors import ConfigurationError, ModelNotFoundError
from aimu_core.testing.embedding_conformance import EmbeddingConformance

EMBED = "llamacpp:gemma-3-270m"
#: Every test uses these, so all share one loaded model.
EMBED_OPTIONS: dict[str, Any] = {"n_ctx": 512, "n_threads": 2}


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


class TestGemmaEmbeddings(EmbeddingConformance):
    model = EMBED
    empty_string = "vector"
    #: llama.cpp computes a text a little differently beside others in one batch.
    tolerance = 0.02

    @pytest.fixture
    def client_options(self) -> dict[str, Any]:
        return dict(EMBED_OPTIONS)


def test_vectors_are_normalized_and_640_long() -> None:
    with aimu_core.embedding_client(EMBED, **EMBED_OPTIONS) as client:
        assert client.dimensions == 640
        for vector in client.embed(["The capital of France is Paris.", ""]):
            assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, abs_tol=1e-5)
    raw = aimu_core.embed(["x"], EMBED, normalize=False, **EMBED_OPTIONS)[0]
    assert math.sqrt(sum(x * x for x in raw)) > 2  # not scaled: mean of hidden states


def test_a_text_is_closer_to_itself_reworded_than_to_another_topic() -> None:
    cat, kitten, tax = aimu_core.embed(
        ["The cat sleeps on the sofa.", "The cat is sleeping on the couch.", "Tax rates rose."],
        EMBED,
        **EMBED_OPTIONS,
    )
    assert _cosine(cat, kitten) > _cosine(cat, tax)


def test_embedding_and_chat_models_are_separate_loads_shared_by_their_clients() -> None:
    one = aimu_core.embedding_client(EMBED, **EMBED_OPTIONS)
    two = aimu_core.embedding_client(EMBED, **EMBED_OPTIONS)
    assert one._loaded() is two._loaded()
    embedding_loads = [
        m for m in aimu_llamacpp.cache_info().models if dict(m.options.extra).get("embedding")
    ]
    assert len(embedding_loads) == 1


def test_unload_then_embed_loads_again() -> None:
    client = aimu_core.embedding_client(EMBED, **EMBED_OPTIONS)
    (before,) = client.embed(["again"])
    assert aimu_llamacpp.unload(EMBED.partition(":")[2]) >= 1
    (after,) = client.embed(["again"])
    assert after == pytest.approx(before, abs=1e-5)


def test_pooling_from_a_model_that_declares_none_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="declares no pooling"):
        aimu_core.embedding_client(EMBED, pooling="model", **EMBED_OPTIONS)


@pytest.mark.parametrize(
    ("model", "options", "error", "says"),
    [
        ("llamacpp:not-a-model", {}, ModelNotFoundError, "neither the embedded model"),
        ("llamacpp:/no/such/file.gguf", {}, ModelNotFoundError, "does not exist"),
        (EMBED, {"pooling": "max"}, ConfigurationError, "pooling='max' is invalid"),
        (EMBED, {"llama_kwargs": {"embedding": False}}, ConfigurationError, "pooling="),
        (EMBED, {"n_ctx": -1}, ConfigurationError, "n_ctx"),
    ],
)
def test_bad_models_and_options_are_typed(
    model: str, options: dict[str, Any], error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match=says):
        aimu_core.embedding_client(model, **options)


def test_a_file_that_is_not_gguf_is_a_configuration_error(tmp_path: Any) -> None:
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"not a gguf at all")
    with pytest.raises(ConfigurationError, match="not a GGUF model file"):
        aimu_core.embedding_client(f"llamacpp:{fake}")
