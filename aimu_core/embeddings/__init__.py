"""Embeddings: one client contract over every provider's embedding models.

``aimu_core.embed(texts)`` and ``aimu_core.embedding_client(model)`` are the
entry points; providers contribute embedding clients through their
``aimu_text_providers`` records (``embedding_client=``, ``embedding_models=``).
The contract a provider implements is documented on :class:`BaseEmbeddingClient`.
Names load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "AsyncBaseEmbeddingClient": "base",
    "BaseEmbeddingClient": "base",
    "ThreadedAsyncEmbeddingClient": "base",
    "EmbeddingModel": "spec",
    "EmbeddingSpec": "spec",
    "ResolvedEmbeddingModel": "resolve",
    "default_embedding_model_string": "resolve",
    "resolve_embedding_model": "resolve",
    "async_embed": "client",
    "async_embedding_client": "client",
    "embed": "client",
    "embedding_client": "client",
}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:
    from .base import AsyncBaseEmbeddingClient, BaseEmbeddingClient, ThreadedAsyncEmbeddingClient
    from .client import async_embed, async_embedding_client, embed, embedding_client
    from .resolve import (
        ResolvedEmbeddingModel,
        default_embedding_model_string,
        resolve_embedding_model,
    )
    from .spec import EmbeddingModel, EmbeddingSpec


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'aimu_core.embeddings' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value
