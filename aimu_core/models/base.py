"""``BaseModelClient`` and ``AsyncBaseModelClient``: the contract every text provider implements.

A provider subclasses one (or both) and implements one method, ``_chat``
(and optionally ``_generate`` for raw completion). The base
owns everything else, so each feature lands once and works for every provider:
history, the system message, ``include=`` filtering, ``<think>`` splitting,
tool-call accumulation, the tool loop, portable kwargs, and rollback: a call
that fails (or a stream abandoned half-way) leaves ``messages`` exactly as it
was before the call.

The two bases share every piece of state logic through
:mod:`aimu_core.models.conversation`; they differ only in how they do I/O:
the sync ``_chat`` is a generator of :class:`Delta`, the async one an async
generator, and the async client runs one turn's tool calls concurrently.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..tools.toolbox import Toolbox, ToolResult
from .conversation import (
    RUNNING_TOOLS,
    AsyncTurnGuard,
    ChatState,
    ToolLoop,
    TurnAssembler,
    TurnGuard,
)
from .delta import Delta
from .images import ImageInput
from .stream import Phase, StreamChunk, filter_phases
from .structured import OutputSchema, StructuredTurn

__all__ = ["AsyncBaseModelClient", "BaseModelClient"]

#: At most this many threads run one turn's tool calls when ``concurrent_tool_calls``.
_TOOL_THREADS = 8


class BaseModelClient(ChatState, ABC):
    """A stateful chat client for one model.

    One client may be shared by threads: its turns are serialized, each lands
    whole and in order (see :mod:`aimu_core.models.conversation` for the
    contract, unfinished streams included). For parallel work give each
    worker its own client.

    Attributes:
        model: the catalog member (or :class:`AdHocModel`) this client talks to.
        messages: the conversation, a plain OpenAI-format ``list[dict]``.
        system_message: the system prompt; settable at any time.
        tools: ``@tool`` functions offered to the model when ``use_tools``.
        mcp_client: an MCP client whose tools are offered too (Python tools win
            on a name collision).
        last_thinking: the reasoning of the last model turn ("" if none).
        last_usage: token usage of the last model turn, when the provider reports it.
        default_generate_kwargs: kwargs applied to every call (per-call ones win).
    """

    _guard_type = TurnGuard
    _turns: TurnGuard

    # -- what providers implement --------------------------------------------------

    @abstractmethod
    def _chat(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]],
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> Iterator[Delta]:
        """Send one request and yield the reply as :class:`Delta` pieces.

        Args:
            messages: OpenAI-format history (a copy: adapt it freely).
            tools: OpenAI-format tool specs to offer; empty means no tools.
            generate_kwargs: already translated to this provider's names.
            stream: ask the API to stream; when False, yield one ``Delta``.

        Raise errors from :mod:`aimu_core.errors`, translated from the SDK's.
        """

    def _generate(
        self,
        prompt: str,
        *,
        images: list[ImageInput] | None,
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> Iterator[Delta]:
        """One stateless completion. Defaults to a single-turn chat without tools."""
        return self._chat(
            self._outgoing(self._generate_messages(prompt, images)),
            tools=[],
            generate_kwargs=generate_kwargs,
            stream=stream,
        )

    # -- the public contract ---------------------------------------------------------

    def chat(
        self,
        user_message: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        use_tools: bool = True,
        stream: bool = False,
        images: Iterable[ImageInput] | None = None,
        include: Iterable[str | Phase] | str | None = None,
        schema: Any = None,
    ) -> Any:
        """Add a user turn, get the model's reply, and keep both in ``messages``.

        With ``use_tools`` and tools available, tool calls the model makes are
        run and their results sent back until the model answers (at most
        ``max_tool_rounds`` rounds; the last request offers no tools). With
        ``use_tools=False`` calls are stored on the assistant message, not run.

        Returns the final answer text, or with ``stream=True`` an iterator of
        :class:`StreamChunk` (``include=`` keeps only the named phases). With
        ``schema=`` (a pydantic model or a JSON schema dict) it returns the
        validated object instead, and the ``done`` chunk holds it as
        ``content["structured"]`` (see :mod:`aimu_core.models.structured`).
        """
        phases, kwargs, images = self._call_inputs(user_message, images, generate_kwargs, include)
        output = OutputSchema(schema) if schema is not None else None
        chunks = self._chat_turns(user_message, images, kwargs, use_tools, stream, output)
        if stream:
            return filter_phases(chunks, phases)
        return _final(chunks, output)

    def generate(
        self,
        prompt: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
        images: Iterable[ImageInput] | None = None,
        include: Iterable[str | Phase] | str | None = None,
        schema: Any = None,
    ) -> Any:
        """One stateless completion of *prompt*; ``messages`` is not touched.

        ``schema=`` works as in :meth:`chat`."""
        phases, kwargs, images = self._call_inputs(prompt, images, generate_kwargs, include)
        output = OutputSchema(schema) if schema is not None else None
        chunks = self._generate_turn(prompt, images, kwargs, stream, output)
        if stream:
            return filter_phases(chunks, phases)
        return _final(chunks, output)

    # -- the loop ------------------------------------------------------------------

    def _chat_turns(
        self,
        text: str,
        images: list[ImageInput] | None,
        kwargs: dict[str, Any],
        use_tools: bool,
        stream: bool,
        schema: OutputSchema | None = None,
    ) -> Iterator[StreamChunk]:
        loop = ToolLoop(self, text, images, use_tools=use_tools, schema=schema)
        kwargs = loop.request_kwargs(kwargs)
        self._turns.enter(loop)  # one turn at a time (see models.conversation)
        try:
            loop.start()
            while True:
                turn = loop.next_turn()
                specs = loop.specs(loop.toolbox.specs() if loop.offers_tools else [])
                for delta in self._chat(
                    self._outgoing(), tools=specs, generate_kwargs=kwargs, stream=stream
                ):
                    yield from turn.feed(delta)
                yield from turn.flush()
                calls = loop.end_turn(turn)
                if not calls:
                    if loop.repair():
                        continue
                    break
                for call, result in zip(calls, self._tool_results(loop, calls), strict=True):
                    yield loop.tool_result(call, result)
            yield loop.finish(turn)
        finally:
            loop.close()  # rolls back after an error or an abandoned stream
            self._turns.leave(loop)

    def _tool_results(self, loop: ToolLoop, calls: list[dict[str, Any]]) -> Iterator[ToolResult]:
        """One turn's tool results in call order: one by one, or with
        ``concurrent_tool_calls`` all at once on threads."""
        if self.concurrent_tool_calls and len(calls) > 1:

            def run(call: dict[str, Any], refused: ToolResult | None) -> ToolResult:
                if refused is not None:
                    return refused
                RUNNING_TOOLS.set(loop)  # this worker thread runs the loop's tools
                return loop.toolbox.call(call, approved=True)

            loop.in_tools = True
            try:
                # Approvals first, in call order, here: a person asked sees one at a time.
                refusals = [loop.toolbox.refusal(call) for call in calls]
                with ThreadPoolExecutor(min(len(calls), _TOOL_THREADS)) as pool:
                    results = list(pool.map(run, calls, refusals))
            finally:
                loop.in_tools = False
            yield from results
            return
        for call in calls:
            loop.in_tools = True
            try:
                result = loop.toolbox.call(call)
            finally:
                loop.in_tools = False
            yield result

    def _generate_turn(
        self,
        prompt: str,
        images: list[ImageInput] | None,
        kwargs: dict[str, Any],
        stream: bool,
        schema: OutputSchema | None = None,
    ) -> Iterator[StreamChunk]:
        structured = StructuredTurn.start(self, schema, tools=False) if schema else None
        if structured is not None:
            prompt, kwargs = structured.user_text(prompt), structured.request_kwargs(kwargs)
        while True:
            turn = TurnAssembler(split_thinking=self.model.supports_thinking)
            for delta in self._generate(
                prompt, images=images, generate_kwargs=kwargs, stream=stream
            ):
                yield from turn.feed(delta)
            yield from turn.flush()
            self._record_turn(turn)
            problems = structured.check(turn.text) if structured is not None else None
            if problems is None:
                break
            prompt = _repair_prompt(prompt, turn.text, structured, problems)  # type: ignore[arg-type]
        yield _generate_done(self, turn, structured)


def _repair_prompt(prompt: str, reply: str, structured: StructuredTurn, problems: str) -> str:
    """generate() is stateless: its one repair request is the prompt, the reply and the fix."""
    return f"{prompt}\n\n{reply}\n\n{structured.schema.repair_message(problems)}"


def _generate_done(
    client: ChatState, turn: TurnAssembler, structured: StructuredTurn | None
) -> StreamChunk:
    client.last_structured = structured.value if structured is not None else None
    return turn.done(structured=structured.value) if structured is not None else turn.done()


def _final(chunks: Iterator[StreamChunk], schema: OutputSchema | None) -> Any:
    """What a call returns: the answer text, or with ``schema=`` the validated object."""
    content: dict[str, Any] = {"text": ""}
    for chunk in chunks:
        if chunk.phase is Phase.DONE:
            content = chunk.content
    return content.get("structured") if schema is not None else content["text"]


class AsyncBaseModelClient(ChatState, ABC):
    """A stateful async chat client for one model (see ``BaseModelClient`` for the contract)."""

    #: Run the tool calls of one model turn concurrently (``asyncio.TaskGroup``).
    concurrent_tool_calls: bool = True

    _guard_type = AsyncTurnGuard
    _turns: AsyncTurnGuard

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
        schema: Any = None,
    ) -> Any:
        """``await client.chat(...)``: the answer, or with ``stream=True`` an async iterator."""
        phases, kwargs, images = self._call_inputs(user_message, images, generate_kwargs, include)
        output = OutputSchema(schema) if schema is not None else None
        chunks = self._chat_turns(user_message, images, kwargs, use_tools, stream, output)
        if stream:
            return _afilter_phases(chunks, phases)
        return await _afinal(chunks, output)

    async def generate(
        self,
        prompt: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
        images: Iterable[ImageInput] | None = None,
        include: Iterable[str | Phase] | str | None = None,
        schema: Any = None,
    ) -> Any:
        """One stateless completion of *prompt*; ``messages`` is not touched."""
        phases, kwargs, images = self._call_inputs(prompt, images, generate_kwargs, include)
        output = OutputSchema(schema) if schema is not None else None
        chunks = self._generate_turn(prompt, images, kwargs, stream, output)
        if stream:
            return _afilter_phases(chunks, phases)
        return await _afinal(chunks, output)

    async def _chat_turns(
        self,
        text: str,
        images: list[ImageInput] | None,
        kwargs: dict[str, Any],
        use_tools: bool,
        stream: bool,
        schema: OutputSchema | None = None,
    ) -> AsyncIterator[StreamChunk]:
        loop = ToolLoop(self, text, images, use_tools=use_tools, schema=schema)
        kwargs = loop.request_kwargs(kwargs)
        await self._turns.enter(loop)  # one turn at a time (see models.conversation)
        try:
            loop.start()
            while True:
                turn = loop.next_turn()
                specs = loop.specs(
                    await asyncio.to_thread(loop.toolbox.specs) if loop.offers_tools else []
                )
                async for delta in self._chat(
                    self._outgoing(), tools=specs, generate_kwargs=kwargs, stream=stream
                ):
                    for chunk in turn.feed(delta):
                        yield chunk
                for chunk in turn.flush():
                    yield chunk
                calls = loop.end_turn(turn)
                if not calls:
                    if loop.repair():
                        continue
                    break
                loop.in_tools = True
                token = RUNNING_TOOLS.set(loop)  # inherited by the tools' tasks and threads
                try:
                    results = await self._run_tools(loop.toolbox, calls)
                finally:
                    RUNNING_TOOLS.reset(token)
                    loop.in_tools = False
                for call, result in zip(calls, results, strict=True):
                    yield loop.tool_result(call, result)
            yield loop.finish(turn)
        finally:
            loop.close()  # rolls back after an error or an abandoned stream
            self._turns.leave(loop)

    async def _run_tools(self, toolbox: Toolbox, calls: list[dict[str, Any]]) -> list[Any]:
        if not self.concurrent_tool_calls or len(calls) == 1:
            return [await toolbox.acall(call) for call in calls]
        # Approvals first, in call order: a person asked sees one at a time.
        refusals = [await toolbox.arefusal(call) for call in calls]
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [
                    group.create_task(toolbox.acall(call, approved=True))
                    if refused is None
                    else None
                    for call, refused in zip(calls, refusals, strict=True)
                ]
        except BaseExceptionGroup as failed:
            # What escapes a tool call (a dead tool server) surfaces as itself, as on the sync side.
            raise failed.exceptions[0] from None
        return [
            refused if task is None else task.result()
            for task, refused in zip(tasks, refusals, strict=True)
        ]

    async def _generate_turn(
        self,
        prompt: str,
        images: list[ImageInput] | None,
        kwargs: dict[str, Any],
        stream: bool,
        schema: OutputSchema | None = None,
    ) -> AsyncIterator[StreamChunk]:
        structured = StructuredTurn.start(self, schema, tools=False) if schema else None
        if structured is not None:
            prompt, kwargs = structured.user_text(prompt), structured.request_kwargs(kwargs)
        while True:
            turn = TurnAssembler(split_thinking=self.model.supports_thinking)
            async for delta in self._generate(
                prompt, images=images, generate_kwargs=kwargs, stream=stream
            ):
                for chunk in turn.feed(delta):
                    yield chunk
            for chunk in turn.flush():
                yield chunk
            self._record_turn(turn)
            problems = structured.check(turn.text) if structured is not None else None
            if problems is None:
                break
            prompt = _repair_prompt(prompt, turn.text, structured, problems)  # type: ignore[arg-type]
        yield _generate_done(self, turn, structured)


async def _afilter_phases(
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


async def _afinal(chunks: AsyncIterator[StreamChunk], schema: OutputSchema | None) -> Any:
    content: dict[str, Any] = {"text": ""}
    async for chunk in chunks:
        if chunk.phase is Phase.DONE:
            content = chunk.content
    return content.get("structured") if schema is not None else content["text"]
