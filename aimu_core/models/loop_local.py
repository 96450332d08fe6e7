"""One object per event loop: for SDK clients whose connection pool belongs to a loop."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["LoopLocal"]

T = TypeVar("T")


class LoopLocal(Generic[T]):
    """Makes an object with *factory* for the running event loop, and again when the loop changes.

    Async SDK clients (``openai.AsyncOpenAI``, ``anthropic.AsyncAnthropic``,
    ``ollama.AsyncClient``) keep connections bound to the loop that opened
    them; wrapping their construction in a ``LoopLocal`` lets one aimu client
    be used across ``asyncio.run`` calls. Outside any loop, :meth:`get`
    returns the object made last (making one if there is none), for inspection.
    """

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._value: T | None = None
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None

    def get(self) -> T:
        # _get_running_loop returns None outside a loop, where get_running_loop
        # raises: this runs on every request, also of sync clients.
        loop = asyncio._get_running_loop()
        stale = loop is not None and (self._loop is None or self._loop() is not loop)
        if self._value is None or stale:
            self._value = self._factory()
            self._loop = weakref.ref(loop) if loop is not None else None
        return self._value
