"""``memory.remember``, ``memory.recall``, ``memory.forget``: tools bound to one memory store.

``aimu_core.tools.select("memory", store=my_store)`` (or a store string,
``store="documents:./notes"``) gives a model all three; the ``memory`` group
is registered by core's built-in plugin. Each factory here takes the store and
returns an ``@tool`` function that reads and writes only that store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ConfigurationError
from ..tools.decorator import tool
from .base import MemoryStore

__all__ = ["forget_tool", "memory_tools", "recall_tool", "remember_tool"]


def _store(store: MemoryStore | str | None) -> MemoryStore:
    if isinstance(store, MemoryStore):
        return store
    if isinstance(store, str):
        from .backends import store as open_store

        return open_store(store)
    raise ConfigurationError(
        "the memory tools need a store: aimu_core.tools.select('memory', store=my_store) or "
        "store='documents:./notes'"
    )


def remember_tool(store: MemoryStore | str | None = None) -> Callable[..., Any]:
    """The ``memory.remember`` tool, writing to *store*."""
    memory = _store(store)

    @tool
    def remember(text: str, topic: str = "") -> str:
        """Save a fact to long-term memory so it can be recalled in later conversations.

        Args:
            text: the fact, written so it makes sense on its own.
            topic: an optional one-word topic to file it under.
        """
        (memory_id,) = memory.add(text, {"topic": topic} if topic else None)
        return f"remembered as {memory_id}"

    return remember


def recall_tool(store: MemoryStore | str | None = None) -> Callable[..., Any]:
    """The ``memory.recall`` tool, searching *store*."""
    memory = _store(store)

    @tool
    def recall(query: str, k: int = 5) -> list[dict[str, Any]]:
        """Search long-term memory for facts about a subject; best matches first.

        Args:
            query: what to look for, in a few words.
            k: how many facts to return at most.
        """
        return [
            {"id": hit.id, "text": hit.text, "score": hit.score}
            for hit in memory.search(query, k=max(1, min(int(k), 20)))
        ]

    return recall


def forget_tool(store: MemoryStore | str | None = None) -> Callable[..., Any]:
    """The ``memory.forget`` tool, deleting from *store*."""
    memory = _store(store)

    @tool
    def forget(memory_id: str) -> str:
        """Delete one fact from long-term memory, by the id recall returned.

        Args:
            memory_id: the fact's id.
        """
        if not memory.get(memory_id):
            return f"there is no memory {memory_id!r}"
        memory.delete(memory_id)
        return f"forgot {memory_id}"

    return forget


def memory_tools(store: MemoryStore | str) -> list[Callable[..., Any]]:
    """All three tools on one store (the store string is opened once)."""
    memory = _store(store)
    return [remember_tool(memory), recall_tool(memory), forget_tool(memory)]
