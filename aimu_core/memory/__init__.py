"""Memory: stores of texts to search later, tools that let a model use them, and retrieval.

``aimu_core.memory.store("documents:./notes")`` opens a store by backend name
(backends come from the ``aimu_memory_backends`` hook; ``chroma:`` needs
aimu-chroma). :class:`MemoryStore` is the contract (:mod:`.base`),
:class:`DocumentStore` the files-under-a-folder backend (:mod:`.documents`),
:func:`memory_tools` the ``remember``/``recall``/``forget`` tools (:mod:`.tools`),
and :func:`index` / :func:`ask` chunked retrieval with citations (:mod:`.retrieval`).
Names load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..errors import PluginUnavailableError

if TYPE_CHECKING:
    from .backends import available, store
    from .base import MemoryHit, MemoryItem, MemoryStore
    from .documents import DocumentStore
    from .retrieval import Answer, ask, chunk_text, index
    from .tools import memory_tools

_LAZY = {
    "Answer": "retrieval",
    "DocumentStore": "documents",
    "MemoryHit": "base",
    "MemoryItem": "base",
    "MemoryStore": "base",
    "ask": "retrieval",
    "available": "backends",
    "chunk_text": "retrieval",
    "index": "retrieval",
    "memory_tools": "tools",
    "store": "backends",
}

__all__ = sorted([*_LAZY, "SemanticMemoryStore"])


def __getattr__(name: str) -> Any:
    if name == "SemanticMemoryStore":  # the seed's name; the class lives in aimu-chroma
        try:
            module = importlib.import_module("aimu_chroma")
        except ImportError:
            raise PluginUnavailableError(
                "SemanticMemoryStore comes from the aimu-chroma plugin: pip install aimu-chroma"
            ) from None
        return module.SemanticMemoryStore
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value
