"""Code-controlled runners: the code directs the flow, models do the steps.

Each workflow's decisions live in its ``*Core`` (shared with ``aimu_core.aio``);
this module drives them synchronously. Steps, handlers and workers are
runners or model clients (a client is wrapped as an ``Agent``), so workflows
and agents compose freely.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import Any

from ..models.images import ImageInput
from ..models.stream import StreamChunk
from ._shared import StepOutput
from ._workflow_cores import (
    ChainCore,
    EvaluatorOptimizerCore,
    ParallelCore,
    PlanExecuteEvaluatorCore,
    RouterCore,
    WorkflowCore,
)
from .base import Runner, _close

__all__ = ["Chain", "EvaluatorOptimizer", "Parallel", "PlanExecuteEvaluator", "Router"]


class _Workflow(WorkflowCore, Runner):
    def run(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
        images: Iterable[ImageInput] | None = None,
    ) -> str | Iterator[StreamChunk]:
        images = list(images) if images else None
        flow = self._flow(task, images)
        if stream:
            return self._stream_flow(flow, generate_kwargs)
        return self._run_flow(flow, generate_kwargs)


class Chain(ChainCore, _Workflow):
    """Steps run in order, each step's output the next step's task.

    ``Chain([step, ...])`` with runners or clients, or
    ``Chain.from_client(client, [system_prompt, ...])``. Images go to the first
    step only. Streamed chunks carry the step index as ``iteration``.
    """


class Router(RouterCore, _Workflow):
    """Classify, then dispatch to one handler.

    ``Router(classifier, {"billing": handler, ...}, fallback=None)`` or
    ``Router.from_client(client, {"billing": system_prompt, ...})``. The
    classifier's answer (trimmed, lower-cased) must name a handler key;
    otherwise the fallback runs, or :class:`~aimu_core.errors.RoutingError`
    is raised. ``last_route`` says which route the last run took. Streamed
    chunks: the classifier's with ``iteration`` 0, the handler's with 1.
    """


class EvaluatorOptimizer(EvaluatorOptimizerCore, _Workflow):
    """Generate, critique, revise until the evaluator accepts or ``max_rounds`` run out.

    ``verdict_schema`` (a pydantic model with ``passed: bool`` and
    ``feedback: str``) types the verdict; otherwise ``pass_keyword`` ("PASS")
    in the critique accepts. ``last_rounds`` and ``last_passed`` describe the
    last run. Streamed chunks carry the round as ``iteration``.
    """


class PlanExecuteEvaluator(PlanExecuteEvaluatorCore, _Workflow):
    """Plan, execute, score against criteria, re-plan; returns the best attempt.

    Scores are read from the evaluator's reply (``7/10``, ``Score: 0.7`` ...)
    and passed when ``>= pass_threshold`` (0-1). ``last_attempts`` keeps every
    attempt. Streamed chunks carry the round as ``iteration``.
    """


_FINISHED = object()


class Parallel(ParallelCore, _Workflow):
    """The same task to every worker concurrently (a thread pool); results in submission order.

    Results are joined by ``separator``, or handed to an ``aggregator``. Every
    worker has its own conversation: ``Parallel.from_client(client, prompts)``
    gives each worker its own copy of the client, and workers sharing a
    conversation are refused. If workers fail, an ``ExceptionGroup`` holds
    every failure. Streamed chunks of the workers interleave as they come,
    ``iteration`` being the worker's index; the aggregator's follow.
    """

    def run(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
        images: Iterable[ImageInput] | None = None,
    ) -> str | Iterator[StreamChunk]:
        images = list(images) if images else None
        if stream:
            return self._stream(task, generate_kwargs, images)
        results = self._fan_out(task, generate_kwargs, images)
        return self._run_flow(self._finish(task, results), generate_kwargs)

    def _fan_out(
        self, task: str, generate_kwargs: Mapping[str, Any] | None, images: list[Any] | None
    ) -> list[str]:
        with ThreadPoolExecutor(self._pool_size(), thread_name_prefix=self.name) as pool:
            futures = [
                pool.submit(worker.run, task, generate_kwargs, False, images)
                for worker in self.workers
            ]
            wait(futures, return_when=FIRST_EXCEPTION)
            for future in futures:
                future.cancel()  # those not started yet, after a failure
        return self._outcomes(futures)

    def _outcomes(self, futures: list[Future[Any]]) -> list[str]:
        errors = [f.exception() for f in futures if not f.cancelled() and f.exception() is not None]
        if errors:
            raise self._failure(errors)  # type: ignore[arg-type]
        return [f.result() for f in futures]

    def _stream(
        self, task: str, generate_kwargs: Mapping[str, Any] | None, images: list[Any] | None
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
                _close(chunks)
            return output.text

        pool = ThreadPoolExecutor(self._pool_size(), thread_name_prefix=self.name)
        futures: list[Future[Any]] = []
        try:
            for index, worker in enumerate(self.workers):
                future = pool.submit(pump, index, worker)
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
            pool.shutdown(wait=True, cancel_futures=True)
        results = self._outcomes(futures)
        yield from self._stream_flow(
            self._finish(task, results), generate_kwargs, iteration=len(self.workers) - 1
        )
