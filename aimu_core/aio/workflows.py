"""Async workflows: ``aio.Chain``, ``aio.Router``, ``aio.Parallel``, ``aio.EvaluatorOptimizer``,
``aio.PlanExecuteEvaluator``.

The decisions are the sync workflows' own (their ``*Core`` flows); this module
only awaits the steps. ``aio.Parallel`` fans out with ``asyncio.TaskGroup``:
when a worker fails its siblings are cancelled and every failure is raised
together in an ``ExceptionGroup``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from ..agents._shared import StepOutput
from ..agents._workflow_cores import (
    ChainCore,
    EvaluatorOptimizerCore,
    ParallelCore,
    PlanExecuteEvaluatorCore,
    RouterCore,
    WorkflowCore,
)
from ..models.images import ImageInput
from ..models.stream import StreamChunk
from .agents import Runner, _aclose

__all__ = ["Chain", "EvaluatorOptimizer", "Parallel", "PlanExecuteEvaluator", "Router"]


class _Workflow(WorkflowCore, Runner):
    async def run(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
        images: Iterable[ImageInput] | None = None,
    ) -> str | AsyncIterator[StreamChunk]:
        images = list(images) if images else None
        flow = self._flow(task, images)
        if stream:
            return self._stream_flow(flow, generate_kwargs)
        return await self._run_flow(flow, generate_kwargs)


class Chain(ChainCore, _Workflow):
    """Async twin of :class:`aimu_core.agents.Chain`."""


class Router(RouterCore, _Workflow):
    """Async twin of :class:`aimu_core.agents.Router`."""


class EvaluatorOptimizer(EvaluatorOptimizerCore, _Workflow):
    """Async twin of :class:`aimu_core.agents.EvaluatorOptimizer`."""


class PlanExecuteEvaluator(PlanExecuteEvaluatorCore, _Workflow):
    """Async twin of :class:`aimu_core.agents.PlanExecuteEvaluator`."""


_FINISHED = object()


class Parallel(ParallelCore, _Workflow):
    """Async twin of :class:`aimu_core.agents.Parallel`: workers are tasks of one ``TaskGroup``.

    ``max_workers`` bounds how many run at once (a semaphore).
    """

    async def run(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
        images: Iterable[ImageInput] | None = None,
    ) -> str | AsyncIterator[StreamChunk]:
        images = list(images) if images else None
        if stream:
            return self._stream(task, generate_kwargs, images)
        results = await self._fan_out(task, generate_kwargs, images)
        return await self._run_flow(self._finish(task, results), generate_kwargs)

    async def _fan_out(
        self, task: str, generate_kwargs: Mapping[str, Any] | None, images: list[Any] | None
    ) -> list[str]:
        results = [""] * len(self.workers)
        limit = asyncio.Semaphore(self._pool_size())

        async def one(index: int, worker: Runner) -> None:
            async with limit:
                results[index] = await worker.run(task, generate_kwargs, False, images)  # type: ignore[assignment]

        try:
            async with asyncio.TaskGroup() as group:
                for index, worker in enumerate(self.workers):
                    group.create_task(one(index, worker), name=f"{self.name}[{index}]")
        except ExceptionGroup as failed:
            raise self._failure(list(failed.exceptions)) from None
        return results

    async def _stream(
        self, task: str, generate_kwargs: Mapping[str, Any] | None, images: list[Any] | None
    ) -> AsyncIterator[StreamChunk]:
        events: asyncio.Queue[Any] = asyncio.Queue()
        results = [""] * len(self.workers)
        limit = asyncio.Semaphore(self._pool_size())

        async def pump(index: int, worker: Runner) -> None:
            async with limit:
                output = StepOutput()
                chunks = await worker.run(task, generate_kwargs, stream=True, images=images)
                try:
                    async for chunk in chunks:  # type: ignore[union-attr]
                        tagged = output.feed(chunk, worker, index)
                        if tagged is not None:
                            events.put_nowait(tagged)
                finally:
                    await _aclose(chunks)
                results[index] = output.text

        async def fan_out() -> None:
            async with asyncio.TaskGroup() as group:
                for index, worker in enumerate(self.workers):
                    group.create_task(pump(index, worker), name=f"{self.name}[{index}]")

        # The TaskGroup runs in a task of its own: yielding from inside a TaskGroup
        # would let a failing worker cancel whatever the consumer awaits between chunks.
        fan = asyncio.create_task(fan_out())
        fan.add_done_callback(lambda _: events.put_nowait(_FINISHED))
        try:
            while (event := await events.get()) is not _FINISHED:
                yield event
            try:
                await fan
            except ExceptionGroup as failed:
                raise self._failure(list(failed.exceptions)) from None
        finally:
            if not fan.done():
                fan.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await fan
        async for chunk in self._stream_flow(
            self._finish(task, results), generate_kwargs, iteration=len(self.workers) - 1
        ):
            yield chunk
