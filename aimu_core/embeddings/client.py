"""``embedding_client()`` and ``embed()``: the provider-agnostic entry points for embeddings.

``aimu_core.aio`` has the async twins (:func:`async_embedding_client`,
:func:`async_embed`, called ``embedding_client`` and ``embed`` there).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import PluginError, PluginUnavailableError
from ..plugins import PluginManager
from ..records import load_object
from .base import AsyncBaseEmbeddingClient, BaseEmbeddingClient, ThreadedAsyncEmbeddingClient
from .resolve import ResolvedEmbeddingModel, resolve_embedding_model
from .spec import EmbeddingModel

__all__ = ["async_embed", "async_embedding_client", "embed", "embedding_client"]

EmbeddingModelLike = str | EmbeddingModel | ResolvedEmbeddingModel | None


def embedding_client(
    model: EmbeddingModelLike = None, *, manager: PluginManager | None = None, **options: Any
) -> BaseEmbeddingClient:
    """A sync embedding client for *model* (the default embedding model when omitted).

    Provider options (``base_url``, ``api_key``, ``batch_size``, ``device`` ...)
    go to the provider's client. Keep the client for many calls: building one
    may load weights (cached per process) or open an HTTP connection pool.
    """
    return _build(_resolve(model, manager), False, manager, options)


def async_embedding_client(
    model: EmbeddingModelLike = None, *, manager: PluginManager | None = None, **options: Any
) -> AsyncBaseEmbeddingClient:
    """The async twin of :func:`embedding_client` (``aimu_core.aio.embedding_client``)."""
    return _build(_resolve(model, manager), True, manager, options)


def embed(
    texts: Iterable[str],
    model: EmbeddingModelLike = None,
    *,
    batch_size: int | None = None,
    **options: Any,
) -> list[list[float]]:
    """One vector per text, from a client built for this call and closed after it."""
    with embedding_client(model, **options) as client:
        return client.embed(texts, batch_size=batch_size)


async def async_embed(
    texts: Iterable[str],
    model: EmbeddingModelLike = None,
    *,
    batch_size: int | None = None,
    **options: Any,
) -> list[list[float]]:
    """The async twin of :func:`embed` (``aimu_core.aio.embed``)."""
    async with async_embedding_client(model, **options) as client:
        return await client.embed(texts, batch_size=batch_size)


def _resolve(model: EmbeddingModelLike, manager: PluginManager | None) -> ResolvedEmbeddingModel:
    if isinstance(model, ResolvedEmbeddingModel):
        return model
    return resolve_embedding_model(model, manager=manager)


def _build(
    resolved: ResolvedEmbeddingModel,
    asynchronous: bool,
    manager: PluginManager | None,
    options: dict[str, Any],
) -> Any:
    record = resolved.provider
    path = record.async_embedding_client if asynchronous else record.embedding_client
    if path is None:  # only the async path may be missing: the record check ensures the sync one
        return ThreadedAsyncEmbeddingClient(_build(resolved, False, manager, options))
    base: type = AsyncBaseEmbeddingClient if asynchronous else BaseEmbeddingClient
    cls = _load(record.name, path, base)
    if resolved.base_url is not None:
        options["base_url"] = resolved.base_url
    return cls(resolved.spec, **options)


def _load(provider: str, path: str, base: type) -> type:
    """Import an embedding client class and check it keeps the contract."""
    try:
        cls = load_object(path)
    except Exception as exc:  # a missing dependency, or a broken client module
        raise PluginUnavailableError(
            f"Embedding provider {provider!r} cannot load its client {path}: "
            f"{type(exc).__name__}: {exc}. Reinstall the plugin with its dependencies."
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, base)):
        problem = f"is not a subclass of aimu_core {base.__name__}"
    elif missing := getattr(cls, "__abstractmethods__", None):
        problem = f"does not implement {', '.join(sorted(missing))}"
    else:
        return cls
    raise PluginError(
        f"Embedding provider {provider!r}: its client {path} {problem}. The plugin is broken: "
        "upgrade it or report it to its authors."
    )
