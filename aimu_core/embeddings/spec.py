"""Embedding model definitions: :class:`EmbeddingSpec` and the :class:`EmbeddingModel` enum base.

A provider lists the embedding models it knows as an ``EmbeddingModel``
subclass, named by its :class:`~aimu_core.records.TextProvider` record's
``embedding_models``::

    class OpenAIEmbeddingModel(EmbeddingModel):
        TEXT_EMBEDDING_3_SMALL = EmbeddingSpec("text-embedding-3-small", dimensions=1536)

A client is always built with the :class:`EmbeddingSpec`: the catalog
member's, or one made from the model id when the provider's catalog is open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..catalog import Catalog

__all__ = ["EmbeddingModel", "EmbeddingSpec"]


@dataclass(frozen=True)
class EmbeddingSpec:
    """An embedding model id and, when known without asking the model, its vector length."""

    id: str
    dimensions: int | None = None

    @property
    def value(self) -> str:
        """The model id, as a catalog member's ``.value``: code that names a model reads both alike."""
        return self.id

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError("EmbeddingSpec.id must be a non-empty string")
        if self.dimensions is not None and (
            not isinstance(self.dimensions, int) or self.dimensions <= 0
        ):
            raise ValueError("EmbeddingSpec.dimensions must be an integer > 0, or None")


class EmbeddingModel(Catalog):
    """Base of every provider's embedding catalog, declared with :class:`EmbeddingSpec` values.

    A member's ``.value`` is the model id, ``.spec`` the :class:`EmbeddingSpec`.
    """

    @classmethod
    def _spec_type(cls) -> type[Any]:
        return EmbeddingSpec

    @property
    def spec(self) -> EmbeddingSpec:
        return self._spec  # type: ignore[attr-defined]
