"""``MemoryStore``: the contract every memory backend keeps, and what a search returns.

A memory holds texts, each with an id and flat metadata (``str`` keys; ``str``,
``int``, ``float`` or ``bool`` values: what every vector database can filter
on). :meth:`MemoryStore.search` returns the texts that best answer a query,
best first, each with a score in ``[0, 1]`` (higher is closer) and its
metadata; ``where={"key": value, ...}`` keeps only items whose metadata has
all those values.

Backends: ``documents:`` (:class:`~aimu_core.memory.documents.DocumentStore`,
files under one folder, keyword search, in core) and ``chroma:`` (semantic
search, the aimu-chroma plugin). :func:`aimu_core.memory.store` opens one by name.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigurationError, MetadataError, quoted

__all__ = [
    "MemoryHit",
    "MemoryItem",
    "MemoryStore",
    "check_metadata",
    "ids_of",
    "matches",
    "metadata_per_text",
    "texts_of",
]

Metadata = dict[str, str | int | float | bool]
_SCALARS = (str, int, float, bool)


@dataclass(frozen=True)
class MemoryItem:
    """One stored text."""

    id: str
    text: str
    metadata: Metadata = field(default_factory=dict)


@dataclass(frozen=True)
class MemoryHit(MemoryItem):
    """A search result: a stored text and how well it matches the query (``[0, 1]``)."""

    score: float = 0.0


class MemoryStore(ABC):
    """A store of texts to search later: the contract of every memory backend.

    ``add`` accepts one text or many, with one metadata mapping for all or one
    per text, and returns the new ids. Everything else addresses items by id.
    A store may be shared by threads; each backend says what it guarantees
    across processes.
    """

    #: The backend's name in store strings (``"documents"``, ``"chroma"``).
    backend: str = ""

    @abstractmethod
    def add(
        self,
        texts: str | Sequence[str],
        metadata: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        ids: Sequence[str] | None = None,
    ) -> list[str]:
        """Store *texts*; return their ids (given ones, or new ones)."""

    @abstractmethod
    def search(
        self, query: str, k: int = 5, where: Mapping[str, Any] | None = None
    ) -> list[MemoryHit]:
        """The at most *k* items that best match *query*, best first."""

    @abstractmethod
    def get(self, ids: str | Sequence[str]) -> list[MemoryItem]:
        """The items with these ids, in that order (unknown ids are left out)."""

    @abstractmethod
    def delete(self, ids: str | Sequence[str]) -> None:
        """Remove these items (unknown ids are ignored)."""

    @abstractmethod
    def list(
        self, where: Mapping[str, Any] | None = None, limit: int | None = None
    ) -> list[MemoryItem]:
        """Stored items (matching *where*), at most *limit*."""

    @abstractmethod
    def count(self) -> int:
        """How many items are stored."""

    def clear(self) -> None:
        """Remove every item."""
        ids = [item.id for item in self.list()]
        if ids:
            self.delete(ids)

    def close(self) -> None:  # noqa: B027 - optional: most stores hold nothing open
        """Release what the store holds open (nothing, for most)."""

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return self.count()


def check_metadata(metadata: object, *, what: str = "metadata") -> Metadata:
    """*metadata* as a flat ``dict``, or :class:`~aimu_core.errors.MetadataError` saying why not."""
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise MetadataError(
            f"{what} must be a mapping of str keys to str, int, float or bool values, "
            f"got {type(metadata).__name__}"
        )
    checked: Metadata = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or not key:
            raise MetadataError(f"{what} keys must be non-empty strings, got {quoted(key)}")
        if not isinstance(value, _SCALARS):
            raise MetadataError(
                f"{what}[{quoted(key)}] is a {type(value).__name__}; values must be str, int, "
                "float or bool (store lists or dicts as JSON text)"
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise MetadataError(f"{what}[{quoted(key)}] is {value}; numbers must be finite")
        checked[key] = value
    return checked


def metadata_per_text(
    metadata: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None, count: int
) -> list[Metadata]:
    """One checked metadata dict per text: the same for all, or one each (counts must match)."""
    if metadata is None or isinstance(metadata, Mapping):
        one = check_metadata(metadata)
        return [dict(one) for _ in range(count)]
    if isinstance(metadata, (str, bytes)) or not isinstance(metadata, Sequence):
        raise MetadataError(
            f"metadata must be a mapping or a list of mappings, got {type(metadata).__name__}"
        )
    if len(metadata) != count:
        raise MetadataError(f"{len(metadata)} metadata mappings for {count} texts; give one each")
    return [check_metadata(m, what=f"metadata[{i}]") for i, m in enumerate(metadata)]


def texts_of(texts: str | Iterable[str]) -> list[str]:
    """*texts* as a list of strings (one string is one text)."""
    items = [texts] if isinstance(texts, str) else list(texts)
    for text in items:
        if not isinstance(text, str):
            raise ConfigurationError(f"texts must be strings, got {type(text).__name__}")
    return items


def ids_of(ids: str | Iterable[str]) -> list[str]:
    return [ids] if isinstance(ids, str) else [str(i) for i in ids]


def matches(metadata: Mapping[str, Any], where: Mapping[str, Any] | None) -> bool:
    """Whether *metadata* has every value *where* asks for."""
    if not where:
        return True
    return all(key in metadata and metadata[key] == value for key, value in where.items())
