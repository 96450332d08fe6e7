"""``BaseEmbeddingClient`` and ``AsyncBaseEmbeddingClient``: the contract every embedding provider implements.

A provider subclasses one (or both) and implements one method, ``_embed``,
which turns a non-empty list of strings into one vector per string. The base
owns the rest, once for every provider: checking the input (a list of
strings; an empty list is ``[]`` without a call), cutting it into batches of
``batch_size``, checking what ``_embed`` returns (one vector per text, every
vector as long as the first), and learning :attr:`dimensions`.

Empty strings are passed to ``_embed``: what a model makes of ``""`` is the
provider's to say (a vector, or :class:`~aimu_core.errors.ConfigurationError`),
and its docs say which.

A client holds no per-call state, so two threads (or tasks) may share one;
a provider whose ``_embed`` is not safe to run concurrently serializes it
itself.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, ClassVar

from ..errors import ConfigurationError, ProviderError, mask_url, quoted
from .spec import EmbeddingModel, EmbeddingSpec

__all__ = ["AsyncBaseEmbeddingClient", "BaseEmbeddingClient", "ThreadedAsyncEmbeddingClient"]

#: Texts per ``_embed`` call when neither the call nor the client says.
DEFAULT_BATCH_SIZE = 32


class _EmbeddingClientBase:
    """What the sync and async bases share: the model, the checks, the batches."""

    #: The provider's model-string prefix (``"hf"``), for :attr:`model_string`.
    provider: ClassVar[str] = ""
    #: Texts per ``_embed`` call by default; a client option ``batch_size=`` overrides it.
    batch_size: int = DEFAULT_BATCH_SIZE

    def __init__(
        self,
        model: EmbeddingSpec | EmbeddingModel | str,
        *,
        base_url: str | None = None,
        batch_size: int | None = None,
    ) -> None:
        if isinstance(model, EmbeddingModel):
            model = model.spec
        elif isinstance(model, str):
            model = EmbeddingSpec(model)
        if not isinstance(model, EmbeddingSpec):
            raise ConfigurationError(
                f"an embedding client needs an EmbeddingSpec or a model id, got {type(model).__name__}"
            )
        self.spec = model
        self.base_url = base_url
        if batch_size is not None:
            self.batch_size = _positive(batch_size)
        self._dimensions = model.dimensions

    @property
    def model_id(self) -> str:
        return self.spec.id

    @property
    def model_string(self) -> str:
        """``provider:model_id[@base_url]``, the URL's ``user:password@`` shown as ``***@``."""
        text = f"{self.provider}:{self.spec.id}"
        return f"{text}@{mask_url(self.base_url)}" if self.base_url else text

    def _batches(self, texts: object, batch_size: int | None) -> list[list[str]]:
        items = _check_texts(texts)
        size = self.batch_size if batch_size is None else _positive(batch_size)
        return [items[start : start + size] for start in range(0, len(items), size)]

    def _checked(self, batch: list[str], vectors: Any) -> list[list[float]]:
        """*vectors* as ``_embed`` returned them for *batch*, checked; learns the dimensions."""
        name = f"provider {self.provider or type(self).__name__!r}"
        if not isinstance(vectors, list) or len(vectors) != len(batch):
            count = len(vectors) if isinstance(vectors, list) else type(vectors).__name__
            raise ProviderError(
                f"{name} returned {count} vectors for {len(batch)} texts", provider=self.provider
            )
        expected = self._dimensions if self._dimensions is not None else len(vectors[0])
        for vector in vectors:
            if not isinstance(vector, list) or len(vector) != expected or not expected:
                size = len(vector) if isinstance(vector, list) else type(vector).__name__
                raise ProviderError(
                    f"{name} returned a vector of {size} numbers; expected {expected} "
                    f"for model {self.spec.id!r}",
                    provider=self.provider,
                )
        self._dimensions = expected
        return vectors

    def close(self) -> None:
        """Release what the client holds (an SDK client); the base holds nothing."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model_string!r})"


class BaseEmbeddingClient(_EmbeddingClientBase, ABC):
    """A sync embedding client: ``embed(texts)`` returns one vector per text.

    Built as ``cls(spec, base_url=..., **options)`` by
    :func:`aimu_core.embedding_client`. Options of the base: ``batch_size``.
    """

    def embed(self, texts: Iterable[str], *, batch_size: int | None = None) -> list[list[float]]:
        """One vector (a list of floats) per text, in order; ``[]`` for no texts.

        Args:
            texts: a list (or other iterable) of strings; a lone string is refused.
            batch_size: texts per provider call (default: the client's ``batch_size``).

        Raises:
            ConfigurationError: *texts* is a string or holds a non-string, or a
                bad ``batch_size``.
            ProviderError: the provider failed (its subclasses say how), or
                returned the wrong number or length of vectors.
        """
        vectors: list[list[float]] = []
        for batch in self._batches(texts, batch_size):
            vectors += self._checked(batch, self._embed(batch))
        return vectors

    @property
    def dimensions(self) -> int:
        """The length of every vector: from the catalog, or learnt by embedding one text."""
        if self._dimensions is None:
            self.embed(["dimensions"])
        assert self._dimensions is not None
        return self._dimensions

    @abstractmethod
    def _embed(self, texts: list[str]) -> list[list[float]]:
        """One vector per text of a non-empty batch (at most ``batch_size`` texts)."""

    def __enter__(self) -> BaseEmbeddingClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncBaseEmbeddingClient(_EmbeddingClientBase, ABC):
    """Async twin of :class:`BaseEmbeddingClient`: ``await embed(texts)``.

    ``dimensions`` is a coroutine here (``await client.dimensions()``): when the
    catalog does not say, learning it takes a call.
    """

    async def embed(
        self, texts: Iterable[str], *, batch_size: int | None = None
    ) -> list[list[float]]:
        """Async :meth:`BaseEmbeddingClient.embed`: the same checks and errors."""
        vectors: list[list[float]] = []
        for batch in self._batches(texts, batch_size):
            vectors += self._checked(batch, await self._embed(batch))
        return vectors

    async def dimensions(self) -> int:
        """The length of every vector: from the catalog, or learnt by embedding one text."""
        if self._dimensions is None:
            await self.embed(["dimensions"])
        assert self._dimensions is not None
        return self._dimensions

    @abstractmethod
    async def _embed(self, texts: list[str]) -> list[list[float]]:
        """One vector per text of a non-empty batch (at most ``batch_size`` texts)."""

    async def aclose(self) -> None:
        """Release what the client holds; by default what :meth:`close` releases."""
        self.close()

    async def __aenter__(self) -> AsyncBaseEmbeddingClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class ThreadedAsyncEmbeddingClient(AsyncBaseEmbeddingClient):
    """Wraps a sync client: its ``_embed`` runs on a worker thread.

    Used for providers whose record has no ``async_embedding_client``
    (in-process models): the loaded model is the sync client's, so nothing
    is loaded twice and the event loop never waits on a model.
    """

    def __init__(self, sync_client: BaseEmbeddingClient) -> None:
        super().__init__(
            sync_client.spec, base_url=sync_client.base_url, batch_size=sync_client.batch_size
        )
        self.sync_client = sync_client
        self.provider = sync_client.provider  # type: ignore[misc]
        self._dimensions = sync_client._dimensions

    async def _embed(self, texts: list[str]) -> list[list[float]]:
        return await asyncio.to_thread(self.sync_client._embed, texts)

    def close(self) -> None:
        self.sync_client.close()


def _check_texts(texts: object) -> list[str]:
    if isinstance(texts, str):
        raise ConfigurationError(
            "embed() takes a list of strings, got one string; to embed one text, pass [text]"
        )
    if isinstance(texts, (bytes, bytearray)) or not isinstance(texts, Iterable):
        raise ConfigurationError(f"embed() takes a list of strings, got {type(texts).__name__}")
    items = list(texts)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise ConfigurationError(
                f"embed() takes strings; item {index} is a {type(item).__name__}"
            )
    return items


def _positive(batch_size: object) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise ConfigurationError(f"batch_size must be an integer > 0, got {quoted(batch_size)}")
    return batch_size
