"""One object per event loop: for SDK clients whose connection pool belongs to a loop."""

from __future__ import annotations

import asyncio
import inspect
import weakref
from collections.abc import AsyncGenerator, Callable
from typing import Any, Generic, TypeVar

__all__ = ["LoopLocal"]

T = TypeVar("T")


class LoopLocal(Generic[T]):
    """Makes an object with *factory* for the running event loop, and again when the loop changes.

    Async SDK clients (``openai.AsyncOpenAI``, ``anthropic.AsyncAnthropic``,
    ``ollama.AsyncClient``) keep connections bound to the loop that opened
    them; wrapping their construction in a ``LoopLocal`` lets one aimu client
    be used across ``asyncio.run`` calls. Outside any loop, :meth:`get`
    returns the object made last (making one if there is none), for inspection.

    An object made inside a loop is closed (its ``aclose()`` or ``close()``,
    awaited when it returns an awaitable) while that loop shuts down its async
    generators, as ``asyncio.run`` does before it closes the loop: its
    connections end cleanly with the loop instead of being collected later,
    unclosed, on a dead loop ("Event loop is closed"). An object made outside
    any loop (a sync SDK client) is closed when the ``LoopLocal`` is collected,
    that is with the aimu client that owns it: not every SDK closes its
    connection pool when it is collected itself.
    """

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._value: T | None = None
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._closer: AsyncGenerator[None, None] | None = None

    def get(self) -> T:
        # _get_running_loop returns None outside a loop, where get_running_loop
        # raises: this runs on every request, also of sync clients.
        loop = asyncio._get_running_loop()
        stale = loop is not None and (self._loop is None or self._loop() is not loop)
        if self._value is None or stale:
            self._value = self._factory()
            self._loop = weakref.ref(loop) if loop is not None else None
            if loop is not None:
                self._closer = _close_with_loop(self._value)
            else:
                weakref.finalize(self, _close_now, self._value)
        return self._value


def _close_now(value: Any) -> None:
    """Close *value* synchronously; an async ``close()`` cannot run here, and its
    coroutine is discarded unawaited (an object made outside a loop never opened
    a connection in one)."""
    close = getattr(value, "close", None)
    result = close() if close is not None else None
    if inspect.iscoroutine(result):
        result.close()


def _close_with_loop(value: Any) -> AsyncGenerator[None, None]:
    """An async generator, started and suspended, that closes *value* when the running loop
    shuts down its async generators (or when it is collected while the loop runs).

    Starting it here registers it with the running loop (the loop's first-iteration
    hook); stepping its first ``asend`` by hand reaches the ``yield`` without
    awaiting anything, so this works from synchronous code.
    """

    async def closer() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            close = getattr(value, "aclose", None) or getattr(value, "close", None)
            if close is not None:
                result = close()
                if inspect.isawaitable(result):
                    await result

    generator = closer()
    step = generator.asend(None)
    try:
        step.send(None)
    except StopIteration:
        pass  # suspended at its yield, as intended
    return generator
