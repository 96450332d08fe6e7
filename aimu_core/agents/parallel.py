"""``Parallel`` and ``AsyncParallel``: the same task to every worker at once, results in order.

:class:`ParallelCore` holds the workers, checks that none shares a
conversation with another, and joins or aggregates the results. The fan-out
is the I/O, so it is each class's own: ``Parallel`` runs the workers in a
thread pool (or on any ``concurrent.futures.Executor`` given as ``executor=``),
``AsyncParallel`` as tasks of one ``asyncio.TaskGroup``; a failure stops the
others and every failure is raised together in an ``ExceptionGroup``.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Executor, Future, ThreadPoolExecutor, wait
from typing import Any

from ..errors import ConfigurationError
from ..models.stream import Phase, StreamChunk
from ..models.structured import OutputSchema
from ._clients import fork_client, fork_clients
from .prompts import AGGREGATE_PROMPT, fill
from .runner import AsyncRunner, Runner, aclose_stream, check_name, close_stream
from .workflow import AsyncWorkflow, Flow, Step, StepOutput, Workflow, WorkflowCore, held_to

__all__ = ["AsyncParallel", "Parallel", "ParallelCore"]

# What a worker's completion puts on the stream's event queue, after its chunks.
_FINISHED = object()


class ParallelCore(WorkflowCore):
    """The same task to every worker at once; results in submission order.

    Each worker must have its own conversation (checked at construction): no
    ``messages`` list is ever touched by two workers at the same time.
    """

    def __init__(
        self,
        workers: Sequence[Any],
        *,
        aggregator: Any = None,
        separator: str = "\n\n",
        aggregate_prompt: str = AGGREGATE_PROMPT,
        max_workers: int | None = None,
        name: str = "parallel",
        description: str = "",
    ) -> None:
        self.name = check_name(name)
        self.description = description
        workers = list(workers)
        if not workers:
            raise ConfigurationError(f"Parallel {name!r} needs at least one worker")
        if max_workers is not None and (not isinstance(max_workers, int) or max_workers < 1):
            raise ConfigurationError(f"max_workers must be a positive integer, got {max_workers!r}")
        self.workers = [
            self._member(w, f"{name}.worker{i}", "worker") for i, w in enumerate(workers)
        ]
        self.aggregator = (
            None
            if aggregator is None
            else self._member(aggregator, f"{name}.aggregator", "aggregator")
        )
        self.separator = separator
        self.aggregate_prompt = aggregate_prompt
        self.max_workers = max_workers
        self._check_isolated()
        self.messages  # noqa: B018

    @classmethod
    def from_client(
        cls,
        client: Any,
        prompts: Sequence[str | None],
        *,
        aggregator: str | None = None,
        separator: str = "\n\n",
        max_workers: int | None = None,
        name: str = "parallel",
        description: str = "",
    ) -> Any:
        """One worker per system prompt, each on its own copy of *client* (never shared).

        *aggregator*, when given, is the system prompt of an aggregating step
        (on another copy) that combines the workers' answers.
        """
        if isinstance(prompts, str) or not list(prompts):
            raise ConfigurationError("Parallel.from_client needs a non-empty list of prompts")
        return cls(
            fork_clients(client, prompts),
            aggregator=None if aggregator is None else fork_client(client, aggregator),
            separator=separator,
            max_workers=max_workers,
            name=name,
            description=description,
        )

    def _check_isolated(self) -> None:
        owners: dict[int, int] = {}
        for i, worker in enumerate(self.workers):
            for key, conversation in worker.messages.items():
                owner = owners.setdefault(id(conversation), i)
                if owner != i:
                    raise ConfigurationError(
                        f"Parallel {self.name!r}: workers {owner} and {i} share the conversation "
                        f"{key!r} and would write it from two threads at once; give each worker "
                        "its own client (Parallel.from_client does)"
                    )

    def _members(self) -> list[Any]:
        return self.workers + ([self.aggregator] if self.aggregator is not None else [])

    def _pool_size(self) -> int:
        return self.max_workers or len(self.workers)

    def _finish(self, task: str, results: list[str]) -> Flow:
        """After the fan-out: join the results, or hand them to the aggregator."""
        joined = self.separator.join(results)
        if self.aggregator is None:
            return joined
        prompt = fill(self.aggregate_prompt, task=task, results=joined)
        return (yield Step(self.aggregator, prompt, None, len(self.workers)))

    def _failure(self, errors: list[Exception]) -> ExceptionGroup:
        return ExceptionGroup(
            f"{len(errors)} of {len(self.workers)} workers of Parallel {self.name!r} failed", errors
        )


class Parallel(ParallelCore, Workflow):
    """The same task to every worker concurrently (a thread pool); results in submission order.

    Results are joined by ``separator``, or handed to an ``aggregator``. Every
    worker has its own conversation: ``Parallel.from_client(client, prompts)``
    gives each worker its own copy of the client, and workers sharing a
    conversation are refused. If workers fail, an ``ExceptionGroup`` holds
    every failure. Streamed chunks of the workers interleave as they come,
    ``iteration`` being the worker's index; the aggregator's follow.

    ``executor`` runs the workers on any ``concurrent.futures.Executor`` instead
    of a thread pool of this run's own (the caller shuts it down). One that runs
    work in other processes (aimu-ray's) needs workers that can be sent there:
    agents on :class:`~aimu_core.agents.recipe.RecipeClient` clients. Their
    conversations stay where they ran, and each streams its answer as one chunk.
    """

    def __init__(
        self, workers: Sequence[Any], *, executor: Executor | None = None, **options: Any
    ) -> None:
        super().__init__(workers, **options)
        self.executor = executor

    @classmethod
    def from_client(
        cls,
        client: Any,
        prompts: Sequence[str | None],
        *,
        executor: Executor | None = None,
        **options: Any,
    ) -> Any:
        """:meth:`ParallelCore.from_client`, with an *executor* for the workers."""
        parallel = super().from_client(client, prompts, **options)
        parallel.executor = executor
        return parallel

    def _pool(self) -> tuple[Executor, bool]:
        """The executor to use, and whether this run owns it (and must shut it down)."""
        if self.executor is not None:
            return self.executor, False
        return ThreadPoolExecutor(self._pool_size(), thread_name_prefix=self.name), True

    def _answer(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None,
        images: list[Any] | None,
        schema: OutputSchema | None,
    ) -> str:
        results = self._fan_out(task, generate_kwargs, images)
        return self._run_flow(held_to(self._finish(task, results), schema), generate_kwargs)

    def _fan_out(
        self, task: str, generate_kwargs: Mapping[str, Any] | None, images: list[Any] | None
    ) -> list[str]:
        pool, owned = self._pool()
        try:
            futures = [
                pool.submit(worker.run, task, generate_kwargs, False, images)
                for worker in self.workers
            ]
            wait(futures, return_when=FIRST_EXCEPTION)
            for future in futures:
                future.cancel()  # those not started yet, after a failure
            if not owned:
                wait(futures)  # the rest finish on the caller's executor before we read them
        finally:
            if owned:
                pool.shutdown(wait=True)
        return self._outcomes(futures)

    def _outcomes(self, futures: list[Future[Any]]) -> list[str]:
        errors = [f.exception() for f in futures if not f.cancelled() and f.exception() is not None]
        if errors:
            raise self._failure(errors)  # type: ignore[arg-type]
        return [f.result() for f in futures]

    def _stream(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None,
        images: list[Any] | None,
        schema: OutputSchema | None,
    ) -> Iterator[StreamChunk]:
        events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        stop = threading.Event()

        def pump(index: int, worker: Runner) -> str | None:
            output = StepOutput()
            chunks: Iterator[StreamChunk] = worker.run(  # type: ignore[assignment]
                task, generate_kwargs, stream=True, images=images
            )
            try:
                for chunk in chunks:
                    if stop.is_set():
                        return None
                    tagged = output.feed(chunk, worker, index)
                    if tagged is not None:
                        events.put(tagged)
            finally:
                close_stream(chunks)
            return output.text

        pool, owned = self._pool()
        local = owned or isinstance(pool, ThreadPoolExecutor)
        futures: list[Future[Any]] = []
        try:
            for index, worker in enumerate(self.workers):
                if local:
                    future = pool.submit(pump, index, worker)
                else:  # another process cannot reach our queue: its answer comes whole
                    future = pool.submit(worker.run, task, generate_kwargs, False, images)
                    future.add_done_callback(_answer_chunk(events, worker, index))
                future.add_done_callback(lambda _: events.put(_FINISHED))
                futures.append(future)
            pending = len(futures)
            while pending:
                event = events.get()
                if event is _FINISHED:
                    pending -= 1
                    if any(f.done() and not f.cancelled() and f.exception() for f in futures):
                        stop.set()  # a worker failed: the others stop at their next chunk
                    continue
                yield event
        finally:
            stop.set()
            if owned:
                pool.shutdown(wait=True, cancel_futures=True)
            else:
                for future in futures:
                    future.cancel()
                wait(futures)
        results = self._outcomes(futures)
        yield from self._stream_flow(
            held_to(self._finish(task, results), schema),
            generate_kwargs,
            iteration=len(self.workers) - 1,
        )


def _answer_chunk(events: queue.SimpleQueue[Any], worker: Any, index: int) -> Any:
    """A done-callback putting a worker's whole answer on the stream as one chunk."""

    def put(future: Future[Any]) -> None:
        if not future.cancelled() and future.exception() is None:
            chunk = StreamChunk(Phase.GENERATING, future.result(), worker.name, index)
            events.put(chunk)

    return put


class AsyncParallel(ParallelCore, AsyncWorkflow):
    """Async twin of :class:`Parallel` (``aimu_core.aio.Parallel``): workers are tasks of one
    ``TaskGroup``.

    ``max_workers`` bounds how many run at once (a semaphore).
    """

    async def _answer(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None,
        images: list[Any] | None,
        schema: OutputSchema | None,
    ) -> str:
        results = await self._fan_out(task, generate_kwargs, images)
        return await self._run_flow(held_to(self._finish(task, results), schema), generate_kwargs)

    async def _fan_out(
        self, task: str, generate_kwargs: Mapping[str, Any] | None, images: list[Any] | None
    ) -> list[str]:
        results = [""] * len(self.workers)
        limit = asyncio.Semaphore(self._pool_size())

        async def one(index: int, worker: AsyncRunner) -> None:
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
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None,
        images: list[Any] | None,
        schema: OutputSchema | None,
    ) -> AsyncIterator[StreamChunk]:
        events: asyncio.Queue[Any] = asyncio.Queue()
        results = [""] * len(self.workers)
        limit = asyncio.Semaphore(self._pool_size())

        async def pump(index: int, worker: AsyncRunner) -> None:
            async with limit:
                output = StepOutput()
                chunks = await worker.run(task, generate_kwargs, stream=True, images=images)
                try:
                    async for chunk in chunks:  # type: ignore[union-attr]
                        tagged = output.feed(chunk, worker, index)
                        if tagged is not None:
                            events.put_nowait(tagged)
                finally:
                    await aclose_stream(chunks)
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
            held_to(self._finish(task, results), schema),
            generate_kwargs,
            iteration=len(self.workers) - 1,
        ):
            yield chunk
