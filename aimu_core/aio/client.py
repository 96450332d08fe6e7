"""The async factory and top-level helpers: ``aio.ModelClient``, ``aio.client``, ``aio.chat``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from ..models.client import ModelLike, build_client, resolve
from ..models.images import ImageInput
from ..models.resolve import ResolvedModel
from ..models.stream import Phase, StreamChunk
from ..plugins import PluginManager
from .base import AsyncBaseModelClient

__all__ = ["ModelClient", "chat", "client"]


class ModelClient:
    """Async twin of :class:`aimu_core.models.ModelClient`: builds the provider's async client."""

    def __init__(
        self,
        model: ModelLike = None,
        *,
        system_message: str | None = None,
        manager: PluginManager | None = None,
        **options: Any,
    ) -> None:
        resolved = resolve(model, manager=manager)
        client = build_client(resolved, asynchronous=True, system_message=system_message, **options)
        object.__setattr__(self, "client", client)
        object.__setattr__(self, "resolved", resolved)

    client: AsyncBaseModelClient
    resolved: ResolvedModel

    async def chat(self, *args: Any, **kwargs: Any) -> Any:
        return await self.client.chat(*args, **kwargs)

    async def generate(self, *args: Any, **kwargs: Any) -> Any:
        return await self.client.generate(*args, **kwargs)

    def reset(self, *args: Any, **kwargs: Any) -> None:
        self.client.reset(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.client, name, value)

    def __repr__(self) -> str:
        return (
            f"aio.ModelClient({self.resolved.model_string!r}, messages={len(self.client.messages)})"
        )


def client(model: ModelLike = None, *, system: str | None = None, **options: Any) -> ModelClient:
    """An async client for *model* (the default model when omitted)."""
    if system is not None:
        options["system_message"] = system
    return ModelClient(model, **options)


async def chat(
    message: str,
    *,
    model: ModelLike = None,
    system: str | None = None,
    generate_kwargs: Mapping[str, Any] | None = None,
    stream: bool = False,
    images: Iterable[ImageInput] | None = None,
    include: Iterable[str | Phase] | str | None = None,
    **options: Any,
) -> str | AsyncIterator[StreamChunk]:
    """One-shot async chat on a fresh client, without tools."""
    return await client(model, system=system, **options).chat(
        message,
        generate_kwargs=generate_kwargs,
        use_tools=False,
        stream=stream,
        images=images,
        include=include,
    )
