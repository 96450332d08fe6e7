"""How a reply gets from a model's thread to its consumer, sync or async.

A reply is generated on the loaded model's own thread (see :mod:`._cache`) and
handed over through a queue, so generation never waits for the consumer: a
consumer that reads slowly, abandons a stream, or calls another client of the
same model half-way through a stream cannot deadlock. An abandoned stream is
cancelled and stops at its next piece. The async side receives pieces through
``loop.call_soon_threadsafe`` and never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

from aimu_core.provider import Delta

if TYPE_CHECKING:
    from ._cache import LoadedModel

__all__ = ["Job", "Work", "cancel_all", "run_async", "run_sync"]

#: ``work(model)``: the reply's Deltas, generated on the model's thread.
Work = Callable[["LoadedModel"], Iterator[Delta]]
#: ``submit(job)`` queues a job on the loaded model's thread.
Submit = Callable[["Job"], None]

_END = object()
_jobs: weakref.WeakSet[Job] = weakref.WeakSet()  # cancelled at interpreter exit
_jobs_lock = threading.Lock()


class Job:
    """One reply: ``work`` runs on a model's thread, ``deliver`` hands each piece over.

    ``deliver`` receives every :class:`Delta`, then ``_END`` or the exception raised.
    """

    def __init__(self, work: Work, deliver: Callable[[Any], object]) -> None:
        self.cancel = threading.Event()
        self._work, self._deliver = work, deliver
        with _jobs_lock:
            _jobs.add(self)

    def __call__(self, model: LoadedModel) -> None:
        outcome: Any = _END
        try:
            if not self.cancel.is_set():  # its consumer may have gone while it was queued
                deltas = self._work(model)
                try:
                    for delta in deltas:
                        self._deliver(delta)
                        if self.cancel.is_set():
                            break
                finally:
                    deltas.close()  # type: ignore[attr-defined]  # a generator
        except BaseException as exc:  # handed to the consumer, who raises it
            outcome = exc
        with contextlib.suppress(RuntimeError):
            self._deliver(outcome)


@contextlib.contextmanager
def _submitted(submit: Submit, job: Job) -> Iterator[None]:
    """Queue *job*; cancel it when its consumer stops, whether done, failed or abandoned."""
    submit(job)
    try:
        yield
    finally:
        job.cancel.set()


def _delta(item: Any) -> Delta:
    if isinstance(item, BaseException):
        raise item
    return item


def run_sync(submit: Submit, work: Work) -> Iterator[Delta]:
    """Run *work* on the model's thread; yield its Deltas as they come."""
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    with _submitted(submit, Job(work, inbox.put)):
        for item in iter(inbox.get, _END):
            yield _delta(item)


async def run_async(submit: Submit, work: Work) -> AsyncIterator[Delta]:
    """Async: the event loop only ever awaits a queue the model's thread fills."""
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    # Once the loop is closed call_soon_threadsafe raises RuntimeError: nobody is
    # listening any more, and the job ends there.
    with _submitted(
        submit, Job(work, lambda item: loop.call_soon_threadsafe(inbox.put_nowait, item))
    ):
        while (item := await inbox.get()) is not _END:
            yield _delta(item)


def cancel_all() -> None:
    """Cancel every generation, running or queued (at interpreter exit)."""
    with _jobs_lock:
        jobs = list(_jobs)
    for job in jobs:
        job.cancel.set()
