"""The embedding catalogs of the cloud providers of this plugin; local servers take any id.

Kept free of the openai SDK: the plugin module imports it to build its records.
"""

from __future__ import annotations

from aimu_core.provider import EmbeddingModel, EmbeddingSpec

__all__ = ["EMBEDDING_CATALOGS", "GeminiEmbeddingModel", "OpenAIEmbeddingModel"]


class OpenAIEmbeddingModel(EmbeddingModel):
    """OpenAI's embedding models (``dimensions=`` shortens the text-embedding-3 vectors)."""

    TEXT_EMBEDDING_3_SMALL = EmbeddingSpec("text-embedding-3-small", dimensions=1536)
    TEXT_EMBEDDING_3_LARGE = EmbeddingSpec("text-embedding-3-large", dimensions=3072)
    TEXT_EMBEDDING_ADA_002 = EmbeddingSpec("text-embedding-ada-002", dimensions=1536)


class GeminiEmbeddingModel(EmbeddingModel):
    """Gemini's embedding models on its OpenAI-compatible endpoint."""

    GEMINI_EMBEDDING_001 = EmbeddingSpec("gemini-embedding-001", dimensions=3072)
    TEXT_EMBEDDING_004 = EmbeddingSpec("text-embedding-004", dimensions=768)


#: Provider name -> its embedding catalog; providers not listed (local servers) take any id.
EMBEDDING_CATALOGS: dict[str, type[EmbeddingModel]] = {
    "openai": OpenAIEmbeddingModel,
    "gemini": GeminiEmbeddingModel,
}
