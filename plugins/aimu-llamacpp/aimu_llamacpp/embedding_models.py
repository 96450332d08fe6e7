"""The llama.cpp embedding catalog: the embedded GGUF by name; any other GGUF by path.

Imported at plugin discovery, so it holds declarations only.
"""

from __future__ import annotations

from aimu_core.provider import EmbeddingModel, EmbeddingSpec

from .models import DEFAULT_MODEL_ID

__all__ = ["LlamaCppEmbeddingModel"]


class LlamaCppEmbeddingModel(EmbeddingModel):
    """``GEMMA_3_270M``: the embedded Gemma 3 270M (a base language model, not an embedding
    model: its mean-pooled hidden states, 640 numbers, are fine for tests and toys). For real
    embeddings use an embedding GGUF by path (``llamacpp:/models/nomic-embed-text.gguf``)."""

    GEMMA_3_270M = EmbeddingSpec(DEFAULT_MODEL_ID, dimensions=640)
