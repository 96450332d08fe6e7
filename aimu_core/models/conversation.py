"""The conversation engine shared by the sync client and its async twin.

Everything here is I/O-free: the conversation (``messages`` and the system
message), kwargs preparation, :class:`TurnAssembler`, which turns a
provider's :class:`Delta` pieces into ``StreamChunk`` output and one
OpenAI-format assistant message, :class:`ToolLoop`, the control of one
``chat()`` call, and the turn guards that keep ``messages`` whole when one
client is shared.

The sharing contract: the turns of one client are serialized. A ``chat()``
from another thread (or asyncio task) waits until the current turn has
finished, streamed or not, so each turn lands whole, in order. A ``chat()``
from the thread (or task) that still holds an unfinished stream first
settles that stream: its turn is rolled back and the old iterator stops with
:class:`~aimu_core.errors.ConcurrentUseError`. A tool that calls ``chat()`` on
the client running it gets :class:`~aimu_core.errors.ConcurrentUseError` at
once (it would wait on itself). A turn only ever removes what it added.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import threading
import warnings
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from ..errors import ConcurrentUseError, ConfigurationError, DegenerateTurnError
from ..tools.toolbox import Toolbox, ToolResult
from .delta import Delta, ToolCallAccumulator
from .generate_kwargs import merge_kwargs, translate_kwargs
from .images import ImageInput, user_content
from .spec import AdHocModel, Model, capability_hint
from .stream import Phase, StreamChunk, parse_include
from .structured import NativeSchema, OutputSchema, StructuredTurn
from .thinking import ThinkSplitter

__all__ = [
    "AsyncTurnGuard",
    "ChatState",
    "ToolLoop",
    "TurnAssembler",
    "TurnGuard",
    "tool_message",
]

_KEEP = "__keep__"
#: Keys aimu stores on messages for its own use and never sends to a model.
PRIVATE_KEYS = ("thinking",)


class ChatState:
    """Conversation state and request preparation; mixed into both client bases."""

    #: The provider prefix, used in messages and warnings.
    provider: ClassVar[str] = ""
    #: Portable kwarg name -> this provider's name for it (see ``generate_kwargs``).
    GENERATE_KWARGS: ClassVar[Mapping[str, str]] = {}
    #: Provider-specific kwargs passed through unchanged.
    NATIVE_KWARGS: ClassVar[frozenset[str]] = frozenset()
    #: Rounds of tool calls one ``chat()`` may make before the model must answer.
    max_tool_rounds: int = 10
    #: Asked before each tool call runs (``aimu_core.tools.ToolApproval``); ``None``: all run.
    tool_approval: Any = None
    #: Handed to tools that take a ``ToolContext`` (``ctx.deps``).
    deps: Any = None
    #: Run the tool calls of one model turn at once (threads; a TaskGroup when async).
    concurrent_tool_calls: bool = False
    #: The validated object of the last ``schema=`` call (``None`` after a call without one).
    last_structured: Any = None
    #: Called with ``messages`` when a ``chat()`` turn completes, before it counts as done:
    #: if it raises, the turn is rolled back (how ``aimu_core.history`` binds a conversation).
    _after_turn: Any = None
    #: What serializes this client's turns: ``TurnGuard``, or ``AsyncTurnGuard`` for async.
    _guard_type: ClassVar[type[TurnGuard] | type[AsyncTurnGuard]]
    _turns: TurnGuard | AsyncTurnGuard

    model: Model | AdHocModel
    messages: list[dict[str, Any]]
    tools: list[Any]
    mcp_client: Any
    last_thinking: str
    last_usage: dict[str, int] | None
    default_generate_kwargs: dict[str, Any]

    def __init__(
        self,
        model: Model | AdHocModel,
        *,
        system_message: str | None = None,
        tools: Iterable[Any] = (),
        mcp_client: Any = None,
        default_generate_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        self._init_state(model, system_message, tools, mcp_client, default_generate_kwargs)

    def _init_state(
        self,
        model: Model | AdHocModel,
        system_message: str | None,
        tools: Iterable[Any],
        mcp_client: Any,
        default_generate_kwargs: Mapping[str, Any] | None,
    ) -> None:
        """A fresh conversation, its own turn guard included (a forked client gets one too)."""
        self.model = model
        self.messages = []
        self._system_message: str | None = None
        self.system_message = system_message
        self.tools = list(tools)
        self.mcp_client = mcp_client
        self.last_thinking = ""
        self.last_usage = None
        self.default_generate_kwargs = dict(default_generate_kwargs or {})
        self._turns = self._guard_type()

    # -- system message ----------------------------------------------------------

    @property
    def system_message(self) -> str | None:
        return self._system_message

    @system_message.setter
    def system_message(self, value: str | None) -> None:
        if value is not None and not isinstance(value, str):
            raise ConfigurationError("system_message must be a string or None")
        self._system_message = value
        has_system = bool(self.messages) and self.messages[0].get("role") == "system"
        if value is None:
            if has_system:
                del self.messages[0]
        elif has_system:
            self.messages[0] = {"role": "system", "content": value}
        else:
            self.messages.insert(0, {"role": "system", "content": value})

    def reset(self, system_message: str | None = _KEEP) -> None:
        """Clear the conversation. Keeps the system message unless a new one (or None) is given."""
        keep = self._system_message if system_message == _KEEP else system_message
        self.messages.clear()
        self._system_message = None
        self.system_message = keep

    # -- request preparation ---------------------------------------------------------

    def _prepare_kwargs(self, generate_kwargs: Mapping[str, Any] | None) -> dict[str, Any]:
        merged = merge_kwargs(
            self.model.spec.generation_kwargs, self.default_generate_kwargs, generate_kwargs
        )
        if not merged:
            return merged
        return translate_kwargs(
            merged,
            self.GENERATE_KWARGS,
            self.NATIVE_KWARGS,
            provider=self.provider,
            model=self.model.value,
        )

    def _call_inputs(
        self,
        text: object,
        images: Iterable[ImageInput] | None,
        generate_kwargs: Mapping[str, Any] | None,
        include: Iterable[str | Phase] | str | None,
    ) -> tuple[frozenset[Phase] | None, dict[str, Any], list[ImageInput] | None]:
        """Check one call's input before any work: the phases to keep, the kwargs in the
        provider's names, the images as a list. Shared by ``chat`` and ``generate`` of both
        client bases."""
        phases = parse_include(include)
        self._check_inputs(text, images)
        kwargs = self._prepare_kwargs(generate_kwargs)
        return phases, kwargs, list(images) if images else None

    def _native_schema(self, schema: OutputSchema) -> NativeSchema | None:
        """How this provider holds a reply to *schema* itself; ``None``: prompt-and-parse.

        Providers override this (see :mod:`aimu_core.models.structured`)."""
        return None

    def _check_inputs(self, text: object, images: Iterable[ImageInput] | None) -> None:
        if not isinstance(text, str):
            raise ConfigurationError(f"the message must be a string, got {type(text).__name__}")
        if images and not self.model.supports_vision:
            raise ConfigurationError(
                f"model {self.model.value!r} does not accept images; "
                f"{capability_hint(self.model, 'vision')}"
            )

    def _user_message(self, text: str, images: Iterable[ImageInput] | None) -> dict[str, Any]:
        return {"role": "user", "content": user_content(text, images)}

    def _outgoing(self, messages: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """A deep copy of the history without aimu's private keys: providers may adapt it freely."""
        source = self.messages if messages is None else messages
        copies = []
        for message in source:
            outgoing = dict(message)
            for key in PRIVATE_KEYS:
                outgoing.pop(key, None)
            # The common message ({role, content: str}) holds only immutable values;
            # anything else (content parts, tool calls) is copied deeply.
            if not (len(outgoing) == 2 and type(outgoing.get("content")) is str):
                outgoing = copy.deepcopy(outgoing)
            copies.append(outgoing)
        return copies

    def _generate_messages(
        self, prompt: str, images: Iterable[ImageInput] | None
    ) -> list[dict[str, Any]]:
        head = [{"role": "system", "content": self.system_message}] if self.system_message else []
        return [*head, self._user_message(prompt, images)]

    def _record_turn(self, turn: TurnAssembler) -> None:
        self.last_thinking = turn.thinking
        self.last_usage = turn.usage

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model.value!r}, messages={len(self.messages)})"


class TurnAssembler:
    """Collects one model turn from :class:`Delta` pieces.

    :meth:`feed` returns the ``StreamChunk``s a delta produces (thinking and
    answer text, with ``<think>`` tags split out when ``split_thinking``);
    :meth:`message` returns the turn as an OpenAI-format assistant message.
    """

    def __init__(self, *, split_thinking: bool) -> None:
        self._splitter = ThinkSplitter() if split_thinking else None
        self._text: list[str] = []
        self._thinking: list[str] = []
        self._calls = ToolCallAccumulator()
        self.usage: dict[str, int] | None = None
        self.finish_reason: str | None = None

    @property
    def text(self) -> str:
        return "".join(self._text)

    @property
    def thinking(self) -> str:
        return "".join(self._thinking)

    def feed(self, delta: Delta) -> list[StreamChunk]:
        for piece in delta.tool_calls:
            self._calls.add(piece)
        if delta.usage:
            self.usage = dict(delta.usage)
        if delta.finish_reason:
            self.finish_reason = delta.finish_reason
        thinking, answer = delta.thinking, delta.text
        if self._splitter is not None and answer:
            tag_thinking, answer = self._splitter.feed(answer)
            thinking += tag_thinking
        return self._emit(thinking, answer)

    def flush(self) -> list[StreamChunk]:
        if self._splitter is None:
            return []
        return self._emit(*self._splitter.flush())

    def _emit(self, thinking: str, answer: str) -> list[StreamChunk]:
        chunks = []
        if thinking:
            self._thinking.append(thinking)
            chunks.append(StreamChunk(Phase.THINKING, thinking))
        if answer and self._thinking and not self._text:
            answer = answer.lstrip()  # the blank line models put after </think>
        if answer:
            self._text.append(answer)
            chunks.append(StreamChunk(Phase.GENERATING, answer))
        return chunks

    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.text}
        if self._calls:
            message["tool_calls"] = self._calls.result()
        if self._thinking:
            message["thinking"] = self.thinking
        return message

    def done(self, **extra: Any) -> StreamChunk:
        return StreamChunk(
            Phase.DONE,
            {
                "text": self.text,
                "thinking": self.thinking,
                "usage": self.usage,
                "finish_reason": self.finish_reason,
                **extra,
            },
        )


def tool_message(call: dict[str, Any], response: str) -> dict[str, Any]:
    return {
        "role": "tool",
        "tool_call_id": call["id"],
        "name": call["function"]["name"],
        "content": response,
    }


_warned_no_tools: set[str] = set()


def _warn_no_tools(model: Model | AdHocModel) -> None:
    """Tools set on a model that cannot call them are not sent (a server may reject them):
    say so once per model and process, the way an unsupported generation kwarg is."""
    if model.value in _warned_no_tools:
        return
    _warned_no_tools.add(model.value)
    warnings.warn(
        f"model {model.value!r} does not support tool calling, so its tools are not offered; "
        f"{capability_hint(model, 'tools')}",
        UserWarning,
        stacklevel=5,
    )


_NO_TOOLS = Toolbox()  # holds no state, so one instance serves every call without tools


class ToolLoop:
    """The control of one ``chat()`` call, shared by the sync and async clients.

    Both drive it the same way: :meth:`start` adds the user turn, then
    ``turn = loop.next_turn()`` and ``loop.offers_tools`` for each model
    request, then ``calls = loop.end_turn(turn)``; when calls come back, run
    them (each client its own way) and hand each result to :meth:`tool_result`;
    repeat until ``end_turn`` returns nothing. :meth:`close` rolls back every
    message this call added unless it got to :meth:`finish`; :meth:`abandon`
    does so at once, for a stream that a newer call settles.
    """

    def __init__(
        self,
        state: ChatState,
        text: str,
        images: list[ImageInput] | None,
        *,
        use_tools: bool,
        schema: OutputSchema | None = None,
    ) -> None:
        self._state = state
        self._text = text
        self._images = images
        self._added: list[dict[str, Any]] = []
        self._round = 0
        self._finished = False
        self._abandoned = False
        #: True while this call runs tools: a tool calling chat() on this client is refused.
        self.in_tools = False
        has_tools = use_tools and (state.tools or state.mcp_client is not None)
        if has_tools and not state.model.supports_tools:
            _warn_no_tools(state.model)
            has_tools = False
        self.toolbox = (
            Toolbox(state.tools, state.mcp_client, approval=state.tool_approval, deps=state.deps)
            if has_tools
            else _NO_TOOLS
        )
        #: The call's ``schema=`` at work, if any (see :mod:`aimu_core.models.structured`).
        self.structured = (
            StructuredTurn.start(state, schema, tools=True) if schema is not None else None
        )
        self._repair: list[dict[str, Any]] = []

    def start(self) -> None:
        text = self.structured.user_text(self._text) if self.structured else self._text
        self._append(self._state._user_message(text, self._images))

    def specs(self, tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The tool specs of the next request (an output tool added when that is the way)."""
        return self.structured.specs(tools) if self.structured else tools

    def request_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The next request's kwargs (a provider's native schema kwargs added)."""
        return self.structured.request_kwargs(kwargs) if self.structured else kwargs

    def repair(self) -> bool:
        """After the model's answer: with ``schema=``, check it. An invalid answer the first
        time adds one repair request and returns True (ask the model again); the second
        time raises ``StructuredOutputError``. A repaired answer replaces the invalid one."""
        if self.structured is None:
            return False
        answer = self._state.messages[-1]
        problems = self.structured.check(answer.get("content") or "")
        if problems is None:
            if self._repair:  # the invalid answer and the repair request leave the history
                dropped = {id(message) for message in self._repair}
                self._state.messages[:] = [m for m in self._state.messages if id(m) not in dropped]
                self._added = [m for m in self._added if id(m) not in dropped]
            return False
        request = {"role": "user", "content": self.structured.schema.repair_message(problems)}
        self._append(request)
        self._repair = [answer, request]
        return True

    @property
    def offers_tools(self) -> bool:
        """Tools are offered until the round limit; the last request must be answered."""
        return bool(self.toolbox) and self._round < self._state.max_tool_rounds

    def next_turn(self) -> TurnAssembler:
        self._check_live()
        return TurnAssembler(split_thinking=self._state.model.supports_thinking)

    def end_turn(self, turn: TurnAssembler) -> list[dict[str, Any]]:
        """Record the model's turn; return the tool calls to run now (none: the loop is over)."""
        self._check_live()
        message = turn.message()
        if self.structured is not None:
            self.structured.take(message)
        at_limit = bool(self.toolbox) and not self.offers_tools
        if at_limit and message.get("tool_calls"):
            # The last request offered no tools, yet the model called some: calls
            # that can never be answered would break every later request.
            del message["tool_calls"]
            if not message["content"]:
                raise DegenerateTurnError(
                    f"The model still called tools after {self._state.max_tool_rounds} rounds "
                    "(the limit) and gave no answer. Raise max_tool_rounds (an Agent's "
                    "max_iterations), or make the task or the system message more direct; "
                    "the conversation is as it was before this call."
                )
        self._append(message)
        self._state._record_turn(turn)
        calls = message.get("tool_calls", []) if self.offers_tools else []
        self._round += 1
        return calls

    def tool_result(self, call: dict[str, Any], result: ToolResult) -> StreamChunk:
        """Record one tool's result for the model; return its ``tool_calling`` chunk."""
        self._append(tool_message(call, result["response"]))
        return StreamChunk(Phase.TOOL_CALLING, result)

    def finish(self, turn: TurnAssembler) -> StreamChunk:
        self._check_live()
        if self._state._after_turn is not None:
            self._state._after_turn(self._state.messages)
        self._finished = True
        if self.structured is None:
            self._state.last_structured = None
            return turn.done()
        self._state.last_structured = self.structured.value
        return turn.done(structured=self.structured.value)

    def close(self) -> None:
        """Roll the conversation back unless the call finished (an error, an abandoned stream)."""
        if not self._finished:
            self._roll_back()

    def abandon(self) -> None:
        """Roll back now: a newer call settles this unfinished stream."""
        self._abandoned = True
        self._roll_back()

    def _append(self, message: dict[str, Any]) -> None:
        self._state.messages.append(message)
        self._added.append(message)

    def _roll_back(self) -> None:
        # Remove exactly the messages this call added (by identity), whatever
        # else the list holds now.
        added = {id(message) for message in self._added}
        self._state.messages[:] = [m for m in self._state.messages if id(m) not in added]
        self._added.clear()

    def _check_live(self) -> None:
        if self._abandoned:
            raise ConcurrentUseError(
                "This stream was settled (rolled back) because a newer chat() call on the same "
                "client started before it was finished. Read a stream to its end (or close it) "
                "before the next call."
            )


#: The tool loop whose tools this thread or task is running. Worker threads and
#: tasks that run tools set it (tasks and ``to_thread`` inherit it), so a tool that
#: calls the client running it is refused at once instead of waiting on itself.
RUNNING_TOOLS: contextvars.ContextVar[ToolLoop | None] = contextvars.ContextVar(
    "aimu_running_tools", default=None
)


class TurnGuard:
    """One turn at a time per sync client (see the module docstring for the contract)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: ToolLoop | None = None
        self._thread: int | None = None

    def enter(self, turn: ToolLoop) -> None:
        owner = self._owner
        if owner is not None and RUNNING_TOOLS.get() is owner:
            _settle(owner)  # a tool on a worker thread calls the client running it
        if owner is not None and self._thread == threading.get_ident():
            _settle(owner)
            self._owner = turn  # the lock passes to the new turn as it is
            return
        self._lock.acquire()
        self._owner, self._thread = turn, threading.get_ident()

    def leave(self, turn: ToolLoop) -> None:
        if self._owner is turn:
            self._owner = self._thread = None
            self._lock.release()


class AsyncTurnGuard:
    """One turn at a time per async client: an ``asyncio.Lock`` per event loop."""

    def __init__(self) -> None:
        self._owner: ToolLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._held: asyncio.Lock | None = None
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    async def enter(self, turn: ToolLoop) -> None:
        owner, task = self._owner, asyncio.current_task()
        if owner is not None and RUNNING_TOOLS.get() is owner:
            _settle(owner)  # a tool in a task or thread of its own calls the client running it
        loop = asyncio.get_running_loop()
        if owner is not None and (self._task is task or self._task_loop() is not loop):
            # The same task holds an unfinished stream, or a finished event
            # loop left a stream behind that can never be closed: settle it.
            _settle(owner)
            if self._task_loop() is not loop:
                # That loop's lock and its waiters died with it; never touch them.
                self._owner = self._task = self._held = None
            else:
                self._owner, self._task = turn, task
                return
        lock = self._locks.get(loop)
        if lock is None:
            self._locks = {loop: asyncio.Lock()}  # older loops' locks are dead
            lock = self._locks[loop]
        await lock.acquire()
        self._owner, self._task, self._held = turn, task, lock

    def leave(self, turn: ToolLoop) -> None:
        if self._owner is turn:
            held, self._held = self._held, None
            self._owner = self._task = None
            if held is not None and held.locked():
                held.release()

    def _task_loop(self) -> asyncio.AbstractEventLoop | None:
        return self._task.get_loop() if self._task is not None else None


def _settle(owner: ToolLoop) -> None:
    if owner.in_tools:
        raise ConcurrentUseError(
            "A tool called chat() on the client that is running it. Give the tool its own "
            "client (aimu_core.client(...)), or return the data for the model to use."
        )
    owner.abandon()
