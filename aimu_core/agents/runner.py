"""``Runner`` and ``AsyncRunner``: the one interface of everything runnable, sync and async.

:class:`BaseRunner` holds what the two interfaces share, :class:`Runner` and
:class:`AsyncRunner` add ``run`` and ``as_tool``, the only parts that do I/O.
:class:`RunnerCore` is the I/O-free half of every built-in runner: its name,
its members, ``messages`` and ``restore``. A built-in runner is a ``*Core``
(derived from ``RunnerCore``) plus ``Runner`` or ``AsyncRunner``; the core
holds every decision, so the sync and async twins behave the same.
"""

from __future__ import annotations

import asyncio
import re
import threading
import weakref
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ..errors import ConfigurationError
from ..models.images import ImageInput
from ..models.stream import StreamChunk
from ..tools.decorator import tool
from ._clients import check_client, is_client
from ._messages import merge_messages, restore_client, validate_saved

__all__ = [
    "AsyncRunner",
    "BaseRunner",
    "Runner",
    "RunnerCore",
    "aclose_stream",
    "check_count",
    "check_name",
    "close_stream",
]

_TASK_DOC = "the task, stated completely: the runner sees nothing else."
_TOOL_NAME_BAD = re.compile(r"[^A-Za-z0-9_-]+")

_Delegate = TypeVar("_Delegate", bound=Callable[..., Any])


def check_name(name: object, kind: str = "runner") -> str:
    """A runner's name keys its conversation in ``messages``: a non-empty string."""
    if not isinstance(name, str) or not name.strip():
        raise ConfigurationError(f"a {kind} name must be a non-empty string, got {name!r}")
    return name


def check_count(value: object, what: str) -> int:
    """A bound on rounds or iterations: an integer >= 1 (``True`` is not one)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{what} must be an integer >= 1, got {value!r}")
    return value


def close_stream(chunks: Any) -> None:
    """Close a stream we stop reading (a client's stream then rolls its conversation back)."""
    close = getattr(chunks, "close", None)
    if close is not None:
        close()


async def aclose_stream(chunks: Any) -> None:
    """Async :func:`close_stream`: ``aclose()`` an async stream we stop reading."""
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()


class BaseRunner(ABC):
    """What :class:`Runner` and :class:`AsyncRunner` share: a name, ``messages``, ``restore``."""

    _asynchronous: ClassVar[bool]
    name: str = "runner"
    description: str = ""

    @property
    @abstractmethod
    def messages(self) -> dict[str, list[dict[str, Any]]]:
        """Every conversation this runner holds, by runner name."""

    def restore(self, messages: Mapping[str, list[dict[str, Any]]]) -> None:
        """Put back conversations saved from :attr:`messages`."""
        raise NotImplementedError(f"{type(self).__name__} does not support restore()")

    def _as_tool(self, delegate: _Delegate, name: str | None, description: str | None) -> _Delegate:
        """*delegate* (``task: str`` to this runner's answer) named and made an ``@tool``."""
        # most APIs take [A-Za-z0-9_-]{1,64} as a tool name
        label = (_TOOL_NAME_BAD.sub("_", name or self.name).strip("_") or "runner")[:64]
        delegate.__doc__ = f"Hand a task to {self.name}.\n\nArgs:\n    task: {_TASK_DOC}"
        delegate.__name__ = delegate.__qualname__ = label
        description = (
            description
            or self.description
            or (
                f"Delegate a task to {self.name} and get its answer. Give it everything it needs "
                "in the task."
            )
        )
        return tool(name=label, description=description)(delegate)


class Runner(BaseRunner):
    """Anything you can ``run()``: agents (the model directs the flow) and workflows (code does).

    ``run`` returns the final text, or with ``stream=True`` an iterator of
    :class:`~aimu_core.models.StreamChunk` whose ``agent`` names the runner that
    produced each chunk and whose ``iteration`` counts the loop of the runner
    you called (an agent's tool round, a chain's step, a workflow's round).
    ``messages`` holds every conversation inside, by runner name; save it and
    hand it to ``restore()`` to continue after a restart.
    """

    _asynchronous: ClassVar[bool] = False

    @abstractmethod
    def run(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
        images: Iterable[ImageInput] | None = None,
        schema: Any = None,
    ) -> str | Iterator[StreamChunk]:
        """Run *task*: the answer, or with ``stream=True`` an iterator of chunks.

        With ``schema=`` (a pydantic model or a JSON schema dict) the answer is a
        validated object (the ``done`` chunk's ``structured``). An answer that
        does not match gets one repair request: an agent sends it in its own
        conversation, a workflow to the member that gave the answer.
        """

    def as_tool(
        self, name: str | None = None, description: str | None = None
    ) -> Callable[[str], str]:
        """This runner as an ``@tool`` function taking ``task: str``, for another agent to call.

        Calls are serialized: a runner holds one conversation, so two agents
        sharing it as a tool take turns.
        """
        runner, lock = self, threading.Lock()

        def delegate(task: str) -> str:
            with lock:
                result = runner.run(task)
            assert isinstance(result, str)
            return result

        return self._as_tool(delegate, name, description)

    def _wrap_client(self, client: Any, name: str) -> Runner:
        from .agent import Agent  # agent.py imports this module

        return Agent(client, name=name, reset_messages_on_run=True)


class AsyncRunner(BaseRunner):
    """Async twin of :class:`Runner` (``aimu_core.aio.Runner``): ``await runner.run(task)``.

    ``run`` returns the answer, or with ``stream=True`` an
    ``AsyncIterator[StreamChunk]``, just like an async client's ``chat``.
    """

    _asynchronous: ClassVar[bool] = True

    @abstractmethod
    async def run(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
        images: Iterable[ImageInput] | None = None,
        schema: Any = None,
    ) -> str | AsyncIterator[StreamChunk]:
        """Run *task*: the answer, or with ``stream=True`` an async iterator of chunks."""

    def as_tool(
        self, name: str | None = None, description: str | None = None
    ) -> Callable[[str], Awaitable[str]]:
        """This runner as an async ``@tool`` function taking ``task: str``.

        Calls are serialized per event loop: the async tool loop runs a turn's
        tool calls concurrently, and a runner holds one conversation.
        """
        runner = self
        locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

        async def delegate(task: str) -> str:
            lock = locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
            async with lock:
                result = await runner.run(task)
            assert isinstance(result, str)
            return result

        return self._as_tool(delegate, name, description)

    def _wrap_client(self, client: Any, name: str) -> AsyncRunner:
        from .agent import AsyncAgent  # agent.py imports this module

        return AsyncAgent(client, name=name, reset_messages_on_run=True)


def runner_flavour(obj: object) -> bool | None:
    """``False`` for a sync runner, ``True`` for an async one, ``None`` for anything else."""
    flavour = getattr(type(obj), "_asynchronous", None)
    if isinstance(flavour, bool) and callable(getattr(obj, "run", None)):
        return flavour
    return None


class RunnerCore:
    """What every built-in runner has besides I/O: a name, members, ``messages`` and ``restore``.

    ``_asynchronous`` and ``_wrap_client`` come from the :class:`Runner` or
    :class:`AsyncRunner` a concrete class also derives from.
    """

    _asynchronous: ClassVar[bool]
    name: str
    description: str

    if TYPE_CHECKING:

        def _wrap_client(self, client: Any, name: str) -> Any: ...

    def _own_conversations(self) -> list[tuple[str, Any]]:
        """``(name, client)`` for the conversations this runner itself holds."""
        return []

    def _members(self) -> list[Any]:
        """The runners this one runs (steps, handlers, workers ...)."""
        return []

    def _member(self, obj: Any, name: str, role: str) -> Any:
        """A member as a runner: runners are kept, a bare client becomes an ``Agent`` named *name*.

        The wrapping ``Agent`` resets its conversation at each run: a
        workflow's code passes each call everything it needs.
        """
        flavour = runner_flavour(obj)
        kind = "async" if self._asynchronous else "sync"
        if flavour is not None:
            if flavour != self._asynchronous:
                other = "aimu_core.agents" if self._asynchronous else "aimu_core.aio"
                raise ConfigurationError(
                    f"{type(self).__name__} {self.name!r} is {kind}, but its {role} "
                    f"{getattr(obj, 'name', obj)!r} is a {other} runner; use the same surface "
                    "for every part of a workflow"
                )
            return obj
        if is_client(obj):
            check_client(
                obj, self._asynchronous, f"the {role} of {type(self).__name__} {self.name!r}"
            )
            return self._wrap_client(obj, name)
        raise ConfigurationError(
            f"the {role} of {type(self).__name__} {self.name!r} must be a Runner or a model "
            f"client, got {type(obj).__name__}"
        )

    @property
    def messages(self) -> dict[str, list[dict[str, Any]]]:
        """Every conversation in this runner, by runner name (live lists: copy to save)."""
        return merge_messages(self.name, self._own_conversations(), self._members())

    def restore(self, messages: Mapping[str, list[dict[str, Any]]]) -> None:
        """Put back conversations saved from :attr:`messages` (e.g. after a restart).

        Names missing from *messages* are left as they are; unknown names are an
        error. System messages are not restored: each runner keeps its current one.
        """
        saved = validate_saved(self.name, messages, self.messages)
        for key, client in self._own_conversations():
            if key in saved:
                restore_client(client, saved[key])
        seen: set[int] = set()
        for member in self._members():
            if id(member) in seen:
                continue
            seen.add(id(member))
            part = {key: saved[key] for key in member.messages if key in saved}
            if part:
                member.restore(part)
