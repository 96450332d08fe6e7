"""aimu-chroma: the ``chroma:`` memory backend, semantic search on ChromaDB.

``aimu_core.memory.store("chroma:./memdir", embedder="hf:all-minilm-l6-v2")``
opens a :class:`SemanticMemoryStore` on a ChromaDB folder (or
``"chroma:http://host:8000"`` on a Chroma server). Importing this module is
cheap: chromadb loads when a store is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aimu_core.provider import MemoryBackend, hookimpl

if TYPE_CHECKING:
    from .store import SemanticMemoryStore

__all__ = ["AIMU_PLUGIN_API", "SemanticMemoryStore", "aimu_memory_backends"]

AIMU_PLUGIN_API = 1


@hookimpl
def aimu_memory_backends() -> list[MemoryBackend]:
    return [
        MemoryBackend(
            name="chroma",
            backend="aimu_chroma.store:SemanticMemoryStore",
            needs=("an embedding model: embedder=... or AIMU_EMBEDDING_MODEL",),
            description="Semantic search on ChromaDB (a folder, or a Chroma server's URL)",
        )
    ]


def __getattr__(name: str) -> Any:
    if name == "SemanticMemoryStore":
        from .store import SemanticMemoryStore

        return SemanticMemoryStore
    raise AttributeError(f"module 'aimu_chroma' has no attribute {name!r}")
