"""``RayExecutor``: a ``concurrent.futures.Executor`` whose work runs as Ray tasks.

``submit(fn, *args)`` ships ``fn`` and its arguments (Ray pickles them with
cloudpickle) to a worker process and returns a ``concurrent.futures.Future``
(``ObjectRef.future()``). aimu's work items refuse to be pickled with a live
client or anything that looks like a secret (see ``aimu_core.agents.recipe``),
so a task holds model strings and plain options only; each worker process
builds its own clients, once per thread, with the keys of its own environment.

A worker process that dies mid-task (killed, out of memory) is a system
failure: Ray runs the task again, up to ``max_retries`` times, on a live
worker. A task that still fails comes back as the future's exception, and
``Benchmark`` records its row as failed: no row is lost or counted twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from typing import Any

__all__ = ["RayExecutor"]


def _call(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return fn(*args, **kwargs)


class RayExecutor(Executor):
    """Runs submitted work as Ray tasks.

    Args:
        address: the cluster to join (``"ray://head:10001"``, ``"auto"``); ``None``
            joins ``$RAY_ADDRESS`` if set, else starts a local cluster (as
            ``ray.init()`` does). A Ray already initialized in this process is used as is.
        num_cpus: CPUs of a local cluster started here (worker processes run this many tasks at once).
        max_retries: how often a task whose worker died is run again.
        init_kwargs: anything else for ``ray.init`` (``runtime_env``, ``namespace`` ...).

    ``shutdown()`` disconnects from a cluster this executor started or joined
    (the cluster itself lives on unless it was started here).
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        num_cpus: int | None = None,
        max_retries: int = 3,
        init_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        import ray

        self._ray = ray
        self._owns = not ray.is_initialized()
        if self._owns:
            options: dict[str, Any] = {
                "address": address,
                "num_cpus": num_cpus,
                "include_dashboard": False,
                "log_to_driver": False,
            }
            options.update(init_kwargs or {})
            ray.init(**options)
        self._remote = ray.remote(max_retries=max_retries)(_call)
        self._pending: dict[Any, Future[Any]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot submit to a RayExecutor after shutdown()")
            ref = self._remote.remote(fn, args, kwargs)
            future: Future[Any] = ref.future()
            self._pending[ref] = future
        future.add_done_callback(lambda _: self._forget(ref))
        return future

    def _forget(self, ref: Any) -> None:
        with self._lock:
            self._pending.pop(ref, None)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            pending = dict(self._pending)
        if cancel_futures:
            for ref, future in pending.items():
                if not future.done():
                    self._ray.cancel(ref)
        if wait:
            for future in pending.values():
                try:
                    future.exception()
                except Exception:  # cancelled: nothing to wait for
                    pass
        if self._owns and self._ray.is_initialized():
            self._ray.shutdown()
