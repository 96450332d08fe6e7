"""Async runners: ``aio.Runner``, ``aio.Agent``, ``aio.SkillAgent``, ``aio.OrchestratorAgent``.

Same names, arguments and behaviour as :mod:`aimu_core.agents`, sharing its
state logic (the ``*Core`` mixins); only ``run`` is ``async``: it returns the
answer, or with ``stream=True`` an ``AsyncIterator[StreamChunk]``, just like
an async client's ``chat``.
"""

from __future__ import annotations

import asyncio
import weakref
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any, ClassVar

from ..agents._cores import AgentCore, Flow, OrchestratorCore, SkillAgentCore
from ..agents._shared import RoundCounter, StepOutput, done_content, tool_name
from ..agents.base import _TASK_DOC, _describe
from ..models.images import ImageInput
from ..models.stream import Phase, StreamChunk
from ..tools.decorator import tool

__all__ = ["Agent", "OrchestratorAgent", "Runner", "SkillAgent"]


class Runner(ABC):
    """Async twin of :class:`aimu_core.agents.Runner`: ``await runner.run(task)``."""

    _asynchronous: ClassVar[bool] = True
    name: str = "runner"
    description: str = ""

    @abstractmethod
    async def run(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
        images: Iterable[ImageInput] | None = None,
    ) -> str | AsyncIterator[StreamChunk]:
        """Run *task*: the answer, or with ``stream=True`` an async iterator of chunks."""

    @property
    @abstractmethod
    def messages(self) -> dict[str, list[dict[str, Any]]]:
        """Every conversation this runner holds, by runner name."""

    def restore(self, messages: Mapping[str, list[dict[str, Any]]]) -> None:
        """Put back conversations saved from :attr:`messages`."""
        raise NotImplementedError(f"{type(self).__name__} does not support restore()")

    def as_tool(
        self, name: str | None = None, description: str | None = None
    ) -> Callable[[str], Awaitable[str]]:
        """This runner as an async ``@tool`` function taking ``task: str``.

        Calls are serialized per event loop: the async tool loop runs a turn's
        tool calls concurrently, and a runner holds one conversation.
        """
        runner = self
        locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        label = tool_name(name or self.name)

        async def delegate(task: str) -> str:
            lock = locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
            async with lock:
                result = await runner.run(task)
            assert isinstance(result, str)
            return result

        delegate.__doc__ = f"Hand a task to {self.name}.\n\nArgs:\n    task: {_TASK_DOC}"
        delegate.__name__ = delegate.__qualname__ = label
        return tool(name=label, description=description or _describe(self))(delegate)

    def _wrap_client(self, client: Any, name: str) -> Runner:
        return Agent(client, name=name, reset_messages_on_run=True)

    async def _run_flow(self, flow: Flow, generate_kwargs: Mapping[str, Any] | None) -> str:
        try:
            step = next(flow)
            while True:
                output = await step.runner.run(
                    step.task, generate_kwargs, stream=False, images=step.images
                )
                step = flow.send(output)
        except StopIteration as stop:
            return stop.value

    async def _stream_flow(
        self, flow: Flow, generate_kwargs: Mapping[str, Any] | None, iteration: int = 0
    ) -> AsyncIterator[StreamChunk]:
        dones: list[dict[str, Any] | None] = []
        try:
            step = next(flow)
            while True:
                iteration = step.iteration
                output = StepOutput()
                chunks = await step.runner.run(
                    step.task, generate_kwargs, stream=True, images=step.images
                )
                try:
                    async for chunk in chunks:
                        tagged = output.feed(chunk, step.runner, iteration)
                        if tagged is not None:
                            yield tagged
                finally:
                    await _aclose(chunks)
                dones.append(output.done)
                step = flow.send(output.text)
        except StopIteration as stop:
            final: str = stop.value
        yield StreamChunk(Phase.DONE, done_content(final, dones), self.name, iteration)


async def _aclose(chunks: Any) -> None:
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()


class Agent(AgentCore, Runner):
    """Async twin of :class:`aimu_core.agents.Agent`, on an async client (``aio.client(...)``).

    The client's async tool loop runs a turn's tool calls concurrently.
    """

    async def run(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
        images: Iterable[ImageInput] | None = None,
    ) -> str | AsyncIterator[StreamChunk]:
        self._start_run()
        result = await self.client.chat(
            task, generate_kwargs=generate_kwargs, use_tools=True, stream=stream, images=images
        )
        if not stream:
            return result
        return self._tagged(result)

    async def _tagged(self, chunks: AsyncIterator[StreamChunk]) -> AsyncIterator[StreamChunk]:
        counter = RoundCounter(self.name)
        try:
            async for chunk in chunks:
                yield counter.tag(chunk)
        finally:
            await _aclose(chunks)


class SkillAgent(SkillAgentCore, Agent):
    """Async twin of :class:`aimu_core.agents.SkillAgent`."""


class OrchestratorAgent(OrchestratorCore, Agent):
    """Async twin of :class:`aimu_core.agents.OrchestratorAgent`; workers are ``aio`` runners."""
