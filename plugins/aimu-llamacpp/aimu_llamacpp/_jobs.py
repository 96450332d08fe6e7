"""Where generations run: one worker thread per loaded model, and how pieces reach a consumer.

Every generation of a loaded model runs on that model's own worker thread,
one after the other. That serialises use of the (not thread-safe)
``llama_cpp.Llama``, and it keeps llama.cpp's compute threads (an OpenMP team
per calling thread) alive and warm between requests instead of creating a
new team for every request.

A streamed reply is produced on the worker and handed over through a queue,
so generation never waits for the consumer: a consumer that reads slowly,
abandons a stream, or calls another client of the same model half-way
through a stream cannot deadlock. An abandoned stream is cancelled and stops
at the next token. The async side receives pieces through
``loop.call_soon_threadsafe`` and never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aimu_core.models import Delta

if TYPE_CHECKING:
    from ._cache import LoadedModel

__all__ = ["Emit", "Job", "ModelWorker", "Work", "merge", "stop_all"]

Emit = Callable[[Delta], None]
#: ``work(model, emit, cancelled)`` produces one reply by calling ``emit`` per piece.
Work = Callable[["LoadedModel", Emit, Callable[[], bool]], None]

_active: set[Job] = set()
_workers: set[ModelWorker] = set()
_registry_lock = threading.Lock()

_END = object()


@dataclass
class _Failed:
    error: BaseException


class ModelWorker:
    """A daemon thread that runs the jobs submitted for one loaded model, in order."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._inbox: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopped = False

    def submit(self, task: Callable[[], None]) -> bool:
        """Queue *task*; ``False`` when the worker was stopped (its model unloaded)."""
        with self._lock:
            if self._stopped:
                return False
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                with _registry_lock:
                    _workers.add(self)
                self._thread.start()
            self._inbox.put(task)
            return True

    def stop(self) -> None:
        """Run what is queued, then end the thread."""
        with self._lock:
            self._stopped = True
            if self._thread is not None:
                self._inbox.put(None)

    def join(self, timeout: float) -> None:
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _loop(self) -> None:
        try:
            while (task := self._inbox.get()) is not None:
                task()
        finally:
            with _registry_lock:
                _workers.discard(self)


class Job:
    """One reply: ``work`` runs on a model's worker, ``deliver`` hands each piece over.

    ``deliver`` receives every :class:`Delta`, then ``_END`` or a ``_Failed``.
    """

    def __init__(self, work: Work, deliver: Callable[[Any], None]) -> None:
        self.cancel = threading.Event()
        self._work = work
        self._deliver = deliver
        with _registry_lock:
            _active.add(self)

    def run(self, model: LoadedModel) -> None:
        """Called on the worker with the model's lock held."""
        outcome: Any = _END
        try:
            self._work(model, self._emit, self.cancel.is_set)
        except BaseException as exc:  # handed to the consumer, who re-raises it
            outcome = _Failed(exc)
        self.finish(outcome)

    def fail(self, error: BaseException) -> None:
        self.finish(_Failed(error))

    def finish(self, outcome: Any) -> None:
        with _registry_lock:
            _active.discard(self)
        try:
            self._deliver(outcome)
        except RuntimeError:  # the consumer's event loop is gone
            pass

    def _emit(self, delta: Delta) -> None:
        try:
            self._deliver(delta)
        except RuntimeError:  # event loop closed: nobody is listening any more
            self.cancel.set()


Submit = Callable[[Job], None]


def run_sync(submit: Submit, work: Work, *, stream: bool) -> Iterator[Delta]:
    """Generate on the model's worker; yield its Deltas as they come, or one merged Delta."""
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    job = Job(work, inbox.put)
    try:
        submit(job)
    except BaseException:
        job.finish(_END)
        raise
    pieces: list[Delta] = []
    try:
        while True:
            item = inbox.get()
            if item is _END:
                break
            if isinstance(item, _Failed):
                raise item.error
            if stream:
                yield item
            else:
                pieces.append(item)
        if not stream:
            yield merge(pieces)
    finally:
        job.cancel.set()


async def run_async(submit: Submit, work: Work, *, stream: bool) -> AsyncIterator[Delta]:
    """Async: the event loop only ever awaits a queue the worker fills."""
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    job = Job(work, lambda item: loop.call_soon_threadsafe(inbox.put_nowait, item))
    try:
        submit(job)
    except BaseException:
        job.finish(_END)
        raise
    pieces: list[Delta] = []
    try:
        while True:
            item = await inbox.get()
            if item is _END:
                break
            if isinstance(item, _Failed):
                raise item.error
            if stream:
                yield item
            else:
                pieces.append(item)
        if not stream:
            yield merge(pieces)
    finally:
        job.cancel.set()


def merge(pieces: list[Delta]) -> Delta:
    """Many Deltas of one reply -> the single Delta a non-streamed call yields."""
    merged = Delta(
        text="".join(d.text for d in pieces),
        thinking="".join(d.thinking for d in pieces),
    )
    for delta in pieces:
        merged.tool_calls.extend(delta.tool_calls)
        if delta.usage:
            merged.usage = delta.usage
        if delta.finish_reason:
            merged.finish_reason = delta.finish_reason
    return merged


def stop_all(timeout: float = 5.0) -> None:
    """Cancel every running generation and stop the workers (at interpreter exit)."""
    with _registry_lock:
        jobs = list(_active)
        workers = list(_workers)
    for job in jobs:
        job.cancel.set()
    for worker in workers:
        worker.stop()
    for worker in workers:
        worker.join(timeout)
