"""``AsyncBaseModelClient``: the async twin of :class:`aimu_core.models.BaseModelClient`.

Same attributes, same semantics, same state logic (shared through
``ChatState`` and ``TurnAssembler``); only the I/O is ``async``. A provider
implements ``_chat`` as an async generator of :class:`~aimu_core.models.Delta`.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from ..models._state import ChatState, ToolLoop, TurnAssembler
from ..models.delta import Delta
from ..models.images import ImageInput
from ..models.spec import AdHocModel, Model
from ..models.stream import Phase, StreamChunk, parse_include
from ..tools.toolbox import Toolbox

__all__ = ["AsyncBaseModelClient"]


class AsyncBaseModelClient(ChatState, ABC):
    """A stateful async chat client for one model (see ``BaseModelClient`` for the contract)."""

    #: Run the tool calls of one model turn concurrently (``asyncio.TaskGroup``).
    concurrent_tool_calls: bool = True

    def __init__(
        self,
        model: Model | AdHocModel,
        *,
        system_message: str | None = None,
        tools: Iterable[Any] = (),
        mcp_client: Any = None,
        default_generate_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        self._init_state(model, system_message, tools, mcp_client, default_generate_kwargs)

    @abstractmethod
    def _chat(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]],
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> AsyncIterator[Delta]:
        """Async generator: send one request and yield the reply as ``Delta`` pieces."""

    def _generate(
        self,
        prompt: str,
        *,
        images: list[ImageInput] | None,
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> AsyncIterator[Delta]:
        """One stateless completion. Defaults to a single-turn chat without tools."""
        return self._chat(
            self._outgoing(self._generate_messages(prompt, images)),
            tools=[],
            generate_kwargs=generate_kwargs,
            stream=stream,
        )

    async def chat(
        self,
        user_message: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        use_tools: bool = True,
        stream: bool = False,
        images: Iterable[ImageInput] | None = None,
        include: Iterable[str | Phase] | str | None = None,
    ) -> str | AsyncIterator[StreamChunk]:
        """``await client.chat(...)``: the answer, or with ``stream=True`` an async iterator."""
        phases = parse_include(include)
        self._check_inputs(user_message, images)
        kwargs = self._prepare_kwargs(generate_kwargs)
        images = list(images) if images else None
        chunks = self._chat_turns(user_message, images, kwargs, use_tools, stream)
        if stream:
            return _filter(chunks, phases)
        return await _final_text(chunks)

    async def generate(
        self,
        prompt: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
        images: Iterable[ImageInput] | None = None,
        include: Iterable[str | Phase] | str | None = None,
    ) -> str | AsyncIterator[StreamChunk]:
        """One stateless completion of *prompt*; ``messages`` is not touched."""
        phases = parse_include(include)
        self._check_inputs(prompt, images)
        kwargs = self._prepare_kwargs(generate_kwargs)
        images = list(images) if images else None
        chunks = self._generate_turn(prompt, images, kwargs, stream)
        if stream:
            return _filter(chunks, phases)
        return await _final_text(chunks)

    async def _chat_turns(
        self,
        text: str,
        images: list[ImageInput] | None,
        kwargs: dict[str, Any],
        use_tools: bool,
        stream: bool,
    ) -> AsyncIterator[StreamChunk]:
        loop = ToolLoop(self, text, images, use_tools=use_tools)
        try:
            while True:
                turn = loop.next_turn()
                specs = await asyncio.to_thread(loop.toolbox.specs) if loop.offers_tools else []
                async for delta in self._chat(
                    self._outgoing(), tools=specs, generate_kwargs=kwargs, stream=stream
                ):
                    for chunk in turn.feed(delta):
                        yield chunk
                for chunk in turn.flush():
                    yield chunk
                calls = loop.end_turn(turn)
                if not calls:
                    break
                results = await self._run_tools(loop.toolbox, calls)
                for call, result in zip(calls, results, strict=True):
                    yield loop.tool_result(call, result)
            yield loop.finish(turn)
        finally:
            loop.close()  # rolls back after an error or an abandoned stream

    async def _run_tools(self, toolbox: Toolbox, calls: list[dict[str, Any]]) -> list[Any]:
        if not self.concurrent_tool_calls or len(calls) == 1:
            return [await toolbox.acall(call) for call in calls]
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(toolbox.acall(call)) for call in calls]
        return [task.result() for task in tasks]

    async def _generate_turn(
        self, prompt: str, images: list[ImageInput] | None, kwargs: dict[str, Any], stream: bool
    ) -> AsyncIterator[StreamChunk]:
        turn = TurnAssembler(split_thinking=self.model.supports_thinking)
        async for delta in self._generate(
            prompt, images=images, generate_kwargs=kwargs, stream=stream
        ):
            for chunk in turn.feed(delta):
                yield chunk
        for chunk in turn.flush():
            yield chunk
        self._record_turn(turn)
        yield turn.done()


async def _filter(
    chunks: AsyncIterator[StreamChunk], phases: frozenset[Phase] | None
) -> AsyncIterator[StreamChunk]:
    try:
        async for chunk in chunks:
            if phases is None or chunk.phase in phases:
                yield chunk
    finally:
        # An abandoned stream must roll the conversation back now, not when the
        # inner generator is garbage-collected (async generators are not closed
        # with the one iterating them).
        await chunks.aclose()  # type: ignore[attr-defined]


async def _final_text(chunks: AsyncIterator[StreamChunk]) -> str:
    text = ""
    async for chunk in chunks:
        if chunk.phase is Phase.DONE:
            text = chunk.content["text"]
    return text
