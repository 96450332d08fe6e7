"""The event loop every MCP session of an ``MCPClient`` lives on, and who runs it.

A FastMCP client and its transport belong to the event loop that connected
them: a stdio session opened under one ``asyncio.run`` cannot be used from the
next, so the raw client restarts the server each time (about 1.4 s). The
sessions therefore live on a loop of the client's own, which outlives every
caller's loop. Who runs that loop:

* A sync call from a thread with no event loop of its own runs the loop
  itself, in its own thread, until its call is done (as ``asyncio.Runner``
  does; Ctrl-C cancels the call, then raises ``KeyboardInterrupt``). A call
  then costs what the raw client's call costs: handing each call to another
  thread and back cost 10 to 30 % of an in-process call.
* Any other call (from an async caller's loop, or from a second thread while
  one runs the loop) is handed to the loop wherever it runs. A daemon thread,
  the *watcher*, runs the loop whenever handed-over calls wait and no caller
  runs it.
* After :data:`IDLE` seconds without a call the watcher runs the loop too, so
  that sessions go on answering server pings and reading what servers send.
  The next sync call takes the loop back (one round trip to the watcher, what
  every call used to cost).

The watcher is a daemon, so it never holds the interpreter open; the owner
stops it at ``close()``, at garbage collection or at exit (``weakref.finalize``).

A client entered with ``async with`` before its first call keeps its sessions
on the caller's loop instead (:class:`CallerLoop`): calls from that loop run
in it directly, as the raw client's do, and the sessions close when the block
ends. Other threads and loops hand their calls to it; while that loop is not
running (between two ``run_until_complete``), sync code runs it, and another
loop's call is refused rather than left waiting forever.
"""

from __future__ import annotations

import _signal
import asyncio
import concurrent.futures
import contextlib
import signal
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from aimu_core.provider import ToolServerError

__all__ = ["IDLE", "CallerLoop", "SharedLoop"]

T = TypeVar("T")

#: Seconds without a call after which the watcher thread runs the loop.
IDLE = 0.5


class _Loop:
    """What both kinds of loop share: handing a call over, and awaiting one from a loop."""

    loop: asyncio.AbstractEventLoop

    @property
    def alive(self) -> bool:
        raise NotImplementedError

    def in_loop(self) -> bool:
        """Whether the caller is code running on this loop (one of its tasks or callbacks)."""
        return _running_loop() is self.loop

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Hand *coro* to the loop wherever it runs."""
        if not self.alive:
            coro.close()
            raise ToolServerError("this MCP client is closed; create a new MCPClient")
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def _wait(self, coro: Coroutine[Any, Any, T]) -> T:
        """Hand *coro* over and wait; Ctrl-C cancels it there and is re-raised here."""
        future = self.submit(coro)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise _closed_mid_call() from None
        except BaseException:
            future.cancel()  # KeyboardInterrupt, SystemExit: the call stops on the loop too
            raise

    async def arun(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await *coro* run on the loop from any loop; cancelling the caller cancels it."""
        if self.in_loop():
            return await coro
        future = self.submit(coro)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if future.cancelled() and task is not None and not task.cancelling():
                raise _closed_mid_call() from None  # the loop stopped, not our caller
            raise


class CallerLoop(_Loop):
    """The running loop a client was entered on with ``async with``: its sessions live there."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._closed = False

    @property
    def alive(self) -> bool:
        return not self._closed and not self.loop.is_closed()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run *coro* on the loop from another thread and wait for it, or, while nothing
        runs the loop (between two ``run_until_complete``), run the loop here."""
        if self.in_loop():
            coro.close()
            from aimu_core.errors import ConcurrentUseError

            raise ConcurrentUseError(
                "this MCPClient was entered with `async with` on the running event loop, so "
                "its sessions run there and a sync call would block the loop it waits on; "
                "await its async API there (acall_tool, an aimu_core.aio agent), or enter it "
                "with a plain `with`"
            )
        if self.alive and not self.loop.is_running() and _running_loop() is None:
            return self.loop.run_until_complete(coro)
        return self._wait(coro)

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        if self.alive and not self.loop.is_running():
            coro.close()  # nobody would ever run it
            raise ToolServerError(
                "this MCPClient's sessions live on the event loop it was entered on with "
                "`async with`, and that loop is not running; call it from that loop, or from "
                "sync code"
            )
        return super().submit(coro)

    def stop(self, timeout: float) -> None:
        self._closed = True


class SharedLoop(_Loop):
    """An event loop run by the thread calling :meth:`run`, else by a watcher thread."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._state = threading.Condition()
        self._driver: int | None = None  # ident of the thread running the loop now
        self._handed = 0  # handed-over calls not finished yet
        self._claims = 0  # sync callers waiting for the watcher to give the loop back
        self._last_call = time.monotonic()
        self._stopping = False
        self._watcher = threading.Thread(target=self._watch, name=name, daemon=True)
        self._watcher.start()

    @property
    def alive(self) -> bool:
        return not self._stopping and not self.loop.is_closed()

    # -- calls -----------------------------------------------------------------------

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run *coro* on the loop and wait; Ctrl-C cancels it there and is re-raised here."""
        caller_loop = _running_loop()
        if caller_loop is self.loop:
            coro.close()
            from aimu_core.errors import ConcurrentUseError

            raise ConcurrentUseError(
                "an MCP server running in-process called its own MCPClient's sync API, which "
                "would wait on itself; use the async API (await client.acall_tool(...)) there"
            )
        # A thread already running a loop of its own (a notebook) cannot run ours.
        if caller_loop is None and self._take():
            try:
                return self._drive(coro)
            finally:
                self._release()
        return self._wait(coro)

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Hand *coro* to the loop wherever it runs (the watcher runs it if nobody does)."""
        with self._state:
            future = super().submit(coro)  # raises when closed
            self._handed += 1
            self._state.notify_all()
        future.add_done_callback(self._handed_back)
        return future

    def _handed_back(self, _: object) -> None:
        with self._state:
            self._handed -= 1

    # -- who runs the loop -----------------------------------------------------------

    def _take(self) -> bool:
        """Become the thread running the loop: at once when nobody runs it, after the watcher
        stops when it does. False when another caller runs it or the loop is stopping."""
        me = threading.get_ident()
        with self._state:
            self._claims += 1
            try:
                while not self._stopping:
                    if self._driver is None:
                        self._driver = me
                        return True
                    if self._driver != self._watcher.ident:
                        return False
                    self.loop.call_soon_threadsafe(self.loop.stop)
                    self._state.wait()
                return False
            finally:
                self._claims -= 1

    def _release(self) -> None:
        with self._state:
            self._driver = None
            self._last_call = time.monotonic()
            if self._handed or self._stopping:
                # The watcher runs the calls handed over meanwhile, or closes the loop. Only
                # then: waking it after every call would cost what running here saves.
                self._state.notify_all()

    def _drive(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run the loop in this thread until *coro* is done."""
        task = self.loop.create_task(coro)
        task.add_done_callback(self._stop_loop)
        interrupt = _CancelOnInterrupt.install(task)
        try:
            while not task.done():  # a stop meant for the watcher may end a run early
                self.loop.run_forever()
        except BaseException:
            task.cancel()  # an exception out of the loop itself: the call ends with the next run
            raise
        finally:
            if interrupt is not None:
                interrupt.remove()
        if interrupt is not None and interrupt.interrupted:
            raise KeyboardInterrupt
        try:
            return task.result()
        except asyncio.CancelledError:
            raise _closed_mid_call() from None

    def _stop_loop(self, _: object) -> None:
        self.loop.stop()

    def _watch(self) -> None:
        """The watcher: run the loop whenever handed-over calls wait or calls stopped coming."""
        me = threading.get_ident()
        while True:
            with self._state:
                while not self._stopping:
                    if self._driver is not None or self._claims:
                        # A caller runs the loop. Its release does not wake us (that would
                        # cost every call a thread switch), so look again in a while.
                        self._state.wait(IDLE)
                        continue
                    quiet = time.monotonic() - self._last_call
                    if self._handed or quiet >= IDLE:
                        break
                    self._state.wait(IDLE - quiet)
                if self._stopping:
                    break
                self._driver = me
            try:
                self.loop.run_forever()  # until a caller claims the loop, or stop()
            finally:
                with self._state:
                    self._driver = None
                    self._state.notify_all()  # the caller claiming the loop
        self._close_loop(me)

    def _close_loop(self, me: int) -> None:
        with self._state:
            # A caller still running the loop ends its call soon: its session was closed.
            self._state.wait_for(lambda: self._driver is None, timeout=5)
            if self._driver is not None:
                return  # never close a running loop; the process is on its way out
            self._driver = me
        pending = [task for task in asyncio.all_tasks(self.loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    def stop(self, timeout: float) -> None:
        """Stop the loop (its remaining tasks are cancelled) and wait up to *timeout* s."""
        with self._state:
            if self._stopping or self.loop.is_closed():
                return
            self._stopping = True
            self._state.notify_all()
        with contextlib.suppress(RuntimeError):  # closed in between
            self.loop.call_soon_threadsafe(self.loop.stop)
        if threading.get_ident() != self._watcher.ident:
            self._watcher.join(timeout)


class _CancelOnInterrupt:
    """While a sync call runs the loop on the main thread: Ctrl-C cancels the call (which winds
    down cleanly on the loop), and ``KeyboardInterrupt`` is raised once it has; a second Ctrl-C
    is raised at once. As ``asyncio.Runner`` does, only where Python's own handler is in place.

    Installed and removed around every call, through ``_signal``: the ``signal`` module's
    wrappers try to turn each handler into an enum and fail, ten times the cost.
    """

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task = task
        self.interrupted = False

    @classmethod
    def install(cls, task: asyncio.Task[Any]) -> _CancelOnInterrupt | None:
        if threading.get_ident() != threading.main_thread().ident:
            return None
        if _signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            return None
        handler = cls(task)
        _signal.signal(signal.SIGINT, handler)
        return handler

    def __call__(self, signum: int, frame: Any) -> None:
        if self.interrupted:
            raise KeyboardInterrupt
        self.interrupted = True
        self.task.cancel()
        self.task.get_loop().call_soon_threadsafe(lambda: None)  # wake the loop if it waits

    def remove(self) -> None:
        _signal.signal(signal.SIGINT, signal.default_int_handler)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _closed_mid_call() -> ToolServerError:
    return ToolServerError("the MCP client was closed during the call; nothing was returned")
