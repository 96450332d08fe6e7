"""One event loop on a daemon thread: where every MCP session of an ``MCPClient`` lives.

A FastMCP client and its transport belong to the event loop that connected
them: a stdio session opened under one ``asyncio.run`` cannot be used from the
next, so the raw client restarts the server each time (about 1.4 s). Running
the sessions on a loop of their own, in a thread of their own, lets the sync
API (which has no loop) and any number of caller loops (``asyncio.run``
after ``asyncio.run``, or a long-lived app loop) share one session.

The thread is a daemon, so it never holds the interpreter open; the owner
closes it at ``close()``, at garbage collection or at exit (``weakref.finalize``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from aimu_core.provider import ToolServerError

__all__ = ["LoopThread"]

T = TypeVar("T")


class LoopThread:
    """An event loop running forever on a daemon thread, until :meth:`stop`."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and not self.loop.is_closed()

    def in_loop(self) -> bool:
        return threading.get_ident() == self._thread.ident

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        if not self.alive:
            coro.close()
            raise ToolServerError("this MCP client is closed; create a new MCPClient")
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run *coro* on the loop and wait; Ctrl-C cancels it there and is re-raised here."""
        if self.in_loop():
            coro.close()
            from aimu_core.errors import ConcurrentUseError

            raise ConcurrentUseError(
                "an MCP server running in-process called its own MCPClient's sync API, which "
                "would wait on itself; use the async API (await client.acall_tool(...)) there"
            )
        future = self.submit(coro)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise _closed_mid_call() from None
        except BaseException:
            future.cancel()  # KeyboardInterrupt, SystemExit: the call stops on the loop too
            raise

    async def arun(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await *coro* run on the loop from any other loop; cancelling the caller cancels it."""
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

    def stop(self, timeout: float) -> None:
        """Stop the loop (its remaining tasks are cancelled) and wait up to *timeout* s."""
        if self.loop.is_closed():
            return
        try:
            self.loop.call_soon_threadsafe(self.loop.stop)
        except RuntimeError:  # closed in between
            return
        if not self.in_loop():
            self._thread.join(timeout)


def _closed_mid_call() -> ToolServerError:
    return ToolServerError("the MCP client was closed during the call; nothing was returned")
