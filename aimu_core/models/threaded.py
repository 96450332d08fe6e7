"""Async access to in-process (sync) providers without blocking the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from .base import AsyncBaseModelClient, BaseModelClient
from .delta import Delta
from .images import ImageInput
from .structured import NativeSchema, OutputSchema

__all__ = ["ThreadedAsyncClient"]

_END = object()


class ThreadedAsyncClient(AsyncBaseModelClient):
    """Wraps a sync client: its ``_chat``/``_generate`` run in a worker thread.

    The wrapped client's loaded model is reused (no second load of weights);
    the conversation state is this client's own. Used for providers whose
    record has no ``async_client``, e.g. in-process llama.cpp models.
    """

    def __init__(self, sync_client: BaseModelClient, **kwargs: Any) -> None:
        kwargs.setdefault("system_message", sync_client.system_message)
        kwargs.setdefault("tools", sync_client.tools)
        kwargs.setdefault("mcp_client", sync_client.mcp_client)
        kwargs.setdefault("default_generate_kwargs", sync_client.default_generate_kwargs)
        super().__init__(sync_client.model, **kwargs)
        self.sync_client = sync_client
        # Same kwargs vocabulary as the wrapped provider.
        self.provider = sync_client.provider  # type: ignore[misc]
        self.GENERATE_KWARGS = sync_client.GENERATE_KWARGS  # type: ignore[misc]
        self.NATIVE_KWARGS = sync_client.NATIVE_KWARGS  # type: ignore[misc]

    def _native_schema(self, schema: OutputSchema) -> NativeSchema | None:
        return self.sync_client._native_schema(schema)  # the provider's own way, if any

    async def _chat(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]],
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> AsyncIterator[Delta]:
        iterator = self.sync_client._chat(
            messages, tools=tools, generate_kwargs=generate_kwargs, stream=stream
        )
        async for delta in _in_thread(iterator):
            yield delta

    async def _generate(
        self,
        prompt: str,
        *,
        images: list[ImageInput] | None,
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> AsyncIterator[Delta]:
        iterator = self.sync_client._generate(
            prompt, images=images, generate_kwargs=generate_kwargs, stream=stream
        )
        async for delta in _in_thread(iterator):
            yield delta


async def _in_thread(iterator: Any) -> AsyncIterator[Any]:
    iterator = iter(iterator)
    try:
        while True:
            item = await asyncio.to_thread(next, iterator, _END)
            if item is _END:
                return
            yield item
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            await asyncio.to_thread(close)
