"""``FallbackClient`` and ``AsyncFallbackClient``: one conversation over several clients, tried in order.

A call goes to the first client; when it fails in a way another provider may
not (the server cannot be reached, it timed out, it asked us to slow down, or
it failed with a 5xx status), the same call goes to the next client, and so
on. Bad input, bad credentials, an unknown model or a context overflow are
not failed over: the next provider would refuse them too, or they need the
user's attention; they raise at once.

The clients share one ``messages`` list: a failed attempt rolls its turn back
(every client does), so the next client continues the very same
conversation, and whichever answers, the conversation goes on from there.
Settings that belong to the conversation (``system_message``, ``tools``,
``max_tool_rounds``, the agent controls) are set on every client at once;
anything else reads from the client that answered last (``model``,
``last_thinking``, ``last_usage``, ``last_structured``).

When streaming, a failover happens only before the first chunk: once a chunk
has been given to the caller, an error is the caller's (the turn is rolled
back as usual). Turns are serialized like one client's, so two threads (or
tasks) sharing a ``FallbackClient`` never interleave messages.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from ..errors import (
    ConfigurationError,
    ProviderConnectionError,
    ProviderError,
    RateLimitError,
    RequestTimeoutError,
)

__all__ = ["AsyncFallbackClient", "FallbackClient", "fails_over"]

#: Conversation settings a ``FallbackClient`` sets on every client at once.
_SHARED = frozenset(
    {
        "system_message",
        "tools",
        "mcp_client",
        "max_tool_rounds",
        "tool_approval",
        "deps",
        "concurrent_tool_calls",
    }
)
_KEEP = "__keep__"


def fails_over(exc: BaseException) -> bool:
    """Whether another provider may succeed where this error came from: connection,
    timeout, rate-limit and server (5xx) errors."""
    if isinstance(exc, (ProviderConnectionError, RequestTimeoutError, RateLimitError)):
        return True
    return isinstance(exc, ProviderError) and (exc.status_code or 0) >= 500


def _check_client(client: Any, asynchronous: bool) -> None:
    if not (callable(getattr(client, "chat", None)) and hasattr(client, "messages")):
        raise ConfigurationError(
            f"FallbackClient needs model clients (aimu_core.client(...)), got "
            f"{type(client).__name__}"
        )
    if inspect.iscoroutinefunction(client.chat) != asynchronous:
        if asynchronous:
            raise ConfigurationError(
                "aio.FallbackClient needs async clients: use aimu_core.aio.client(...)"
            )
        raise ConfigurationError(
            "FallbackClient needs sync clients: use aimu_core.client(...), or "
            "aimu_core.aio.FallbackClient for async ones"
        )


class _FallbackCore:
    """What the sync and async fallback clients share: the clients and the one conversation."""

    _asynchronous = False

    def __init__(self, clients: Sequence[Any]) -> None:
        clients = list(clients)
        if not clients:
            raise ConfigurationError("FallbackClient needs at least one client")
        for client in clients:
            _check_client(client, self._asynchronous)
        first = clients[0]
        shared = first.messages
        for client in clients[1:]:
            client.messages = shared
            for name in ("system_message", "tools", "mcp_client"):
                setattr(client, name, getattr(first, name))
        object.__setattr__(self, "clients", clients)
        object.__setattr__(self, "current", first)
        #: The failover errors of the last call, in order (empty when the first client answered).
        object.__setattr__(self, "failures", [])

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The one conversation every client continues."""
        return self.clients[0].messages

    @messages.setter
    def messages(self, value: list[dict[str, Any]]) -> None:
        for client in self.clients:
            client.messages = value

    def reset(self, system_message: str | None = _KEEP) -> None:
        for client in self.clients:
            client.reset(system_message)

    def __getattr__(self, name: str) -> Any:
        # Only names not found on the fallback client itself arrive here.
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.current, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHARED:
            for client in self.clients:
                setattr(client, name, value)
        else:
            object.__setattr__(self, name, value)

    def _fail_over(self, exc: Exception, position: int) -> None:
        """After the client at *position* raised *exc*: return to try the next client, or
        raise *exc* (it is not one to fail over on, or no client is left)."""
        if not fails_over(exc):
            raise exc
        self.failures.append(exc)
        if position == len(self.clients) - 1:
            for earlier in self.failures[:-1]:
                exc.add_note(f"FallbackClient: an earlier client failed too: {earlier!r}")
            raise exc

    def __repr__(self) -> str:
        names = ", ".join(getattr(c, "model", c).__class__.__name__ for c in self.clients)
        return f"{type(self).__name__}([{names}], messages={len(self.messages)})"


class FallbackClient(_FallbackCore):
    """Several sync clients as one: ``chat``/``generate`` try each in order (see the module).

    Args:
        clients: model clients (``aimu_core.client(...)``), tried in this order.
    """

    def __init__(self, clients: Sequence[Any]) -> None:
        super().__init__(clients)
        object.__setattr__(self, "_lock", threading.RLock())

    def chat(self, user_message: str, *args: Any, stream: bool = False, **kwargs: Any) -> Any:
        """``client.chat`` on the first client that does not fail over."""
        return self._call(lambda c: c.chat(user_message, *args, stream=stream, **kwargs), stream)

    def generate(self, prompt: str, *args: Any, stream: bool = False, **kwargs: Any) -> Any:
        """``client.generate`` on the first client that does not fail over."""
        return self._call(lambda c: c.generate(prompt, *args, stream=stream, **kwargs), stream)

    def _call(self, attempt: Callable[[Any], Any], stream: bool) -> Any:
        if stream:
            return self._stream(attempt)
        with self._lock:
            self.failures.clear()
            for position, client in enumerate(self.clients):
                try:
                    result = attempt(client)
                except Exception as exc:
                    self._fail_over(exc, position)
                    continue
                object.__setattr__(self, "current", client)
                return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _stream(self, attempt: Callable[[Any], Any]) -> Iterator[Any]:
        with self._lock:
            self.failures.clear()
            for position, client in enumerate(self.clients):
                chunks = attempt(client)
                try:
                    first = next(chunks)
                except StopIteration:
                    return
                except Exception as exc:
                    self._fail_over(exc, position)
                    continue
                object.__setattr__(self, "current", client)
                try:
                    yield first
                    yield from chunks
                finally:
                    chunks.close()  # an abandoned stream rolls its turn back now
                return


class AsyncFallbackClient(_FallbackCore):
    """Async twin of :class:`FallbackClient` (``aimu_core.aio.FallbackClient``)."""

    _asynchronous = True

    def __init__(self, clients: Sequence[Any]) -> None:
        super().__init__(clients)
        object.__setattr__(self, "_locks", {})

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            object.__setattr__(self, "_locks", {loop: asyncio.Lock()})  # older loops are gone
            lock = self._locks[loop]
        return lock

    async def chat(self, user_message: str, *args: Any, stream: bool = False, **kwargs: Any) -> Any:
        """``await client.chat`` on the first client that does not fail over."""
        return await self._call(
            lambda c: c.chat(user_message, *args, stream=stream, **kwargs), stream
        )

    async def generate(self, prompt: str, *args: Any, stream: bool = False, **kwargs: Any) -> Any:
        """``await client.generate`` on the first client that does not fail over."""
        return await self._call(
            lambda c: c.generate(prompt, *args, stream=stream, **kwargs), stream
        )

    async def _call(self, attempt: Callable[[Any], Any], stream: bool) -> Any:
        if stream:
            return self._stream(attempt)
        async with self._lock():
            self.failures.clear()
            for position, client in enumerate(self.clients):
                try:
                    result = await attempt(client)
                except Exception as exc:
                    self._fail_over(exc, position)
                    continue
                object.__setattr__(self, "current", client)
                return result
        raise AssertionError("unreachable")  # pragma: no cover

    async def _stream(self, attempt: Callable[[Any], Any]) -> AsyncIterator[Any]:
        async with self._lock():
            self.failures.clear()
            for position, client in enumerate(self.clients):
                chunks = await attempt(client)
                try:
                    first = await anext(chunks)
                except StopAsyncIteration:
                    return
                except Exception as exc:
                    self._fail_over(exc, position)
                    continue
                object.__setattr__(self, "current", client)
                try:
                    yield first
                    async for chunk in chunks:
                        yield chunk
                finally:
                    await chunks.aclose()
                return
