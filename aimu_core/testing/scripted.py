"""A scripted model client: replies, tool calls, thinking and failures set turn by turn.

Each request the client makes to its "model" consumes one :class:`Turn` of
its script; with the script used up it echoes the last user message (a
message ``fail:<kind>`` fails as :data:`FAILURES` says). It is a
real provider, contributed through the ``aimu_text_providers`` hook like any
other, so tests of runners and apps exercise the whole client stack. It is
for tests only, so no entry point installs it: register this module as a
plugin (``aimu_core.plugins.register(aimu_core.testing.scripted)``), or put
:func:`aimu_core.testing.scripted_site` on a subprocess's ``PYTHONPATH``::

    client = aimu_core.client("scripted:scripted", script=[
        Turn(tool_calls=[("get_weather", {"city": "Paris"})]),
        Turn("It is sunny in Paris."),
    ])
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import (
    AimuError,
    AuthenticationError,
    ContextLengthError,
    ModelNotFoundError,
    ProviderConnectionError,
    ProviderError,
    RateLimitError,
    RequestTimeoutError,
    StreamInterruptedError,
)
from ..hookspecs import hookimpl
from ..models.base import AsyncBaseModelClient, BaseModelClient
from ..models.delta import Delta, ToolCallDelta
from ..models.generate_kwargs import PORTABLE_KWARGS
from ..models.spec import AdHocModel, Model, ModelSpec
from ..records import TextProvider

__all__ = [
    "AIMU_PLUGIN_API",
    "FAILURES",
    "HTTP_ONLY",
    "RETRY_AFTER",
    "STATUS",
    "Script",
    "ScriptedAsyncClient",
    "ScriptedClient",
    "ScriptedModel",
    "Turn",
    "aimu_text_providers",
]

AIMU_PLUGIN_API = 1


class ScriptedModel(Model):
    """The scripted provider's catalog (``scripted:scripted`` can do everything)."""

    SCRIPTED = ModelSpec("scripted", tools=True, thinking=True, vision=True)
    ECHO = ModelSpec("echo")


@hookimpl
def aimu_text_providers() -> list[TextProvider]:
    return [
        TextProvider(
            name="scripted",
            client="aimu_core.testing.scripted:ScriptedClient",
            async_client="aimu_core.testing.scripted:ScriptedAsyncClient",
            models=ScriptedModel,
            open_catalog=True,
            accepts_base_url=True,
            description="Scripted replies for tests (echoes when the script is empty)",
        )
    ]


#: Failure kinds a :class:`Turn` can script, and the aimu error each must become.
#: A fake network API renders each in its wire format (see
#: :meth:`aimu_core.testing.FakeAPI.common_fault`); the scripted provider raises it.
FAILURES: dict[str, type[AimuError]] = {
    "authentication": AuthenticationError,  # 401
    "permission": AuthenticationError,  # 403
    "not_found": ModelNotFoundError,  # 404
    "rate_limit": RateLimitError,  # 429, with a retry-after of RETRY_AFTER seconds
    "server_error": ProviderError,  # 500
    "unavailable": ProviderError,  # 503
    "context_length": ContextLengthError,
    "timeout": RequestTimeoutError,  # the reply comes after the client's timeout
    # Streamed: the text is sent, then the connection drops. Not streamed: the body
    # is cut half-way, which is a broken connection (ProviderConnectionError).
    "stream_cut": StreamInterruptedError,
    "malformed": ProviderError,  # status 200, a body (or first event) that is not JSON
    "html": ProviderError,  # status 200, an HTML page (a proxy's, a wrong base URL's)
}
#: The HTTP status each status fault is answered with.
STATUS = {
    "authentication": 401,
    "permission": 403,
    "not_found": 404,
    "rate_limit": 429,
    "server_error": 500,
    "unavailable": 503,
    "context_length": 400,
}
#: Seconds a scripted ``rate_limit`` asks the client to wait (fakes send it as ``retry-after``).
RETRY_AFTER = 7
#: Failure kinds that only an HTTP exchange can show: an in-process provider has no
#: connection to time out, no body to be malformed.
HTTP_ONLY = frozenset({"timeout", "malformed", "html"})


def scripted_error(kind: str) -> AimuError:
    """The error the scripted provider raises for ``Turn(fail=kind)``."""
    cls = FAILURES[kind]
    message = f"scripted {kind}"
    if kind == "rate_limit":
        return RateLimitError(message, provider="scripted", retry_after=RETRY_AFTER)
    if issubclass(cls, ProviderError):
        return cls(message, provider="scripted", status_code=STATUS.get(kind))
    return cls(message)


@dataclass
class Turn:
    """One scripted model turn.

    Attributes:
        text: the answer.
        thinking: reasoning, sent on a separate channel (or inside ``<think>``
            tags in the text when ``think_tags``).
        tool_calls: ``(name, arguments)`` pairs the model calls.
        fail: one of :data:`FAILURES`: the request fails that way. With
            ``"stream_cut"`` the text is sent first, then the stream breaks.
    """

    text: str = ""
    thinking: str = ""
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail: str | None = None
    think_tags: bool = False

    def __post_init__(self) -> None:
        if self.fail is not None and self.fail not in FAILURES:
            raise ValueError(f"Turn.fail must be one of {sorted(FAILURES)}, got {self.fail!r}")


class Script:
    """The turns left to play and the requests seen, shared by the sync and async clients."""

    def __init__(self, turns: Iterable[Turn | str]) -> None:
        self.turns = deque(t if isinstance(t, Turn) else Turn(t) for t in turns)
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, *turns: Turn | str) -> None:
        with self._lock:
            self.turns.extend(t if isinstance(t, Turn) else Turn(t) for t in turns)

    def play(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        kwargs: dict[str, Any],
        stream: bool,
    ) -> Iterator[Delta]:
        with self._lock:
            self.requests.append(
                {
                    "messages": copy.deepcopy(messages),
                    "tools": tools,
                    "kwargs": kwargs,
                    "stream": stream,
                }
            )
            turn = self.turns.popleft() if self.turns else _echo_turn(messages)
        if turn.fail and turn.fail != "stream_cut":
            raise scripted_error(turn.fail)
        text = f"<think>{turn.thinking}</think>{turn.text}" if turn.think_tags else turn.text
        thinking = "" if turn.think_tags else turn.thinking
        calls = [
            ToolCallDelta(index=i, id=f"call_{i}", name=n, arguments=a)
            for i, (n, a) in enumerate(turn.tool_calls)
        ]
        usage = {
            "prompt_tokens": sum(len(str(m.get("content", ""))) for m in messages),
            "completion_tokens": len(text),
        }
        if not stream:
            if turn.fail == "stream_cut":  # a whole reply cut half-way: a broken connection
                raise ProviderConnectionError("scripted stream_cut", provider="scripted")
            yield Delta(
                text=text, thinking=thinking, tool_calls=calls, usage=usage, finish_reason="stop"
            )
            return
        for piece in _pieces(thinking):
            yield Delta(thinking=piece)
        for piece in _pieces(text):
            yield Delta(text=piece)
        if turn.fail == "stream_cut":
            raise StreamInterruptedError("scripted stream_cut", provider="scripted")
        for call in calls:
            yield Delta(tool_calls=[call])
        yield Delta(usage=usage, finish_reason="tool_calls" if calls else "stop")


def _pieces(text: str, size: int = 4) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _echo_turn(messages: list[dict[str, Any]]) -> Turn:
    """With the script used up: echo the last user message, or fail as it asks.

    A message ``fail:<kind>`` (one of :data:`FAILURES`) fails that way, so that
    a test driving the ``aimu`` command in a subprocess can make a turn fail.
    """
    text = _echo(messages)
    kind = text.strip().removeprefix("fail:")
    if text.strip().startswith("fail:") and kind in FAILURES:
        return Turn(fail=kind)
    return Turn(text)


def _echo(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message["role"] == "user":
            content = message["content"]
            if isinstance(content, list):
                content = " ".join(p.get("text", "") for p in content if p.get("type") == "text")
            return str(content)
    return ""


class ScriptedClient(BaseModelClient):
    """Sync scripted client. ``script`` is the list of turns; ``requests`` what it was sent."""

    provider = "scripted"
    GENERATE_KWARGS = {name: name for name in PORTABLE_KWARGS}

    def __init__(
        self,
        model: Model | AdHocModel = ScriptedModel.SCRIPTED,
        *,
        script: Iterable[Turn | str] = (),
        base_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, **kwargs)
        self.script = script if isinstance(script, Script) else Script(script)
        self.base_url = base_url

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.script.requests

    def _chat(self, messages, *, tools, generate_kwargs, stream):
        return self.script.play(messages, tools, generate_kwargs, stream)


class ScriptedAsyncClient(AsyncBaseModelClient):
    """Async scripted client; same script semantics as :class:`ScriptedClient`."""

    provider = "scripted"
    GENERATE_KWARGS = ScriptedClient.GENERATE_KWARGS

    def __init__(
        self,
        model: Model | AdHocModel = ScriptedModel.SCRIPTED,
        *,
        script: Iterable[Turn | str] = (),
        base_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, **kwargs)
        self.script = script if isinstance(script, Script) else Script(script)
        self.base_url = base_url

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.script.requests

    async def _chat(self, messages, *, tools, generate_kwargs, stream):
        for delta in self.script.play(messages, tools, generate_kwargs, stream):
            yield delta
            # Give other tasks their turn between pieces, as a network reply would.
            await asyncio.sleep(0)
