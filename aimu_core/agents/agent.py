"""``Agent`` and ``AsyncAgent``: a model with tools, looping until it stops calling tools.

An agent does not run a loop of its own: the client's ``chat(use_tools=True)``
is *the* tool loop (bounded by ``max_tool_rounds``, a final round without
tools). :class:`AgentCore` configures the client, the two classes run it and
tag what it streams with :class:`RoundCounter`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from typing import Any, TypedDict

from ..errors import ConfigurationError
from ..models.images import ImageInput
from ..models.stream import Phase, StreamChunk
from ..tools.decorator import tool_spec
from ..tools.lookup import resolve
from ..tools.toolbox import ToolApproval
from ._clients import check_client
from .runner import (
    AsyncRunner,
    Runner,
    RunnerCore,
    aclose_stream,
    check_count,
    check_name,
    close_stream,
)

__all__ = ["Agent", "AgentCore", "AgentOptions", "AsyncAgent", "RoundCounter"]


class RoundCounter:
    """Tags a client's chat stream with an agent's name and the tool round of each chunk.

    The base client's tool loop emits, per round, the model turn's chunks and
    then one ``tool_calling`` chunk per call it ran; the next round's first
    chunk is therefore the first chunk after a ``tool_calling`` one. Rounds
    count from 0; a ``tool_calling`` chunk carries the round that requested it.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.round = 0
        self._after_tools = False

    def tag(self, chunk: StreamChunk) -> StreamChunk:
        if chunk.phase is Phase.TOOL_CALLING:
            self._after_tools = True
        elif self._after_tools:
            self.round += 1
            self._after_tools = False
        return chunk._replace(agent=self.name, iteration=self.round)


class AgentOptions(TypedDict, total=False):
    """The keyword arguments of :class:`Agent` that the other agents pass on unchanged."""

    max_iterations: int | None
    reset_messages_on_run: bool
    description: str
    tool_approval: ToolApproval | None
    deps: Any
    concurrent_tool_calls: bool | None
    mcp_client: Any


class AgentCore(RunnerCore):
    """An agent: a client, a system message and tools; the client's tool loop does the work.

    Configuring the agent configures its client (the agent drives it):
    ``system_message``, ``tools``, ``max_iterations`` (the client's
    ``max_tool_rounds``), ``tool_approval``, ``deps`` and
    ``concurrent_tool_calls`` are the client's own attributes.
    """

    def __init__(
        self,
        client: Any,
        system_message: str | None = None,
        *,
        name: str = "agent",
        tools: Iterable[Callable[..., Any] | str] | None = None,
        max_iterations: int | None = None,
        reset_messages_on_run: bool = False,
        description: str = "",
        tool_approval: ToolApproval | None = None,
        deps: Any = None,
        concurrent_tool_calls: bool | None = None,
        mcp_client: Any = None,
    ) -> None:
        check_client(client, self._asynchronous, type(self).__name__)
        self.client = client
        self.name = check_name(name)
        self.description = description
        self.reset_messages_on_run = reset_messages_on_run
        if system_message is not None:
            client.system_message = system_message
        if tools is not None:
            self.tools = list(tools)
        if max_iterations is not None:
            self.max_iterations = max_iterations
        if tool_approval is not None:
            if not callable(tool_approval):
                raise ConfigurationError(
                    "tool_approval must be a callable (name, arguments) -> bool or a reason"
                )
            client.tool_approval = tool_approval
        if deps is not None:
            client.deps = deps
        if concurrent_tool_calls is not None:
            client.concurrent_tool_calls = bool(concurrent_tool_calls)
        if mcp_client is not None:
            client.mcp_client = mcp_client  # aimu_mcp.MCPClient: its tools after the Python ones

    @property
    def system_message(self) -> str | None:
        return self.client.system_message

    @system_message.setter
    def system_message(self, value: str | None) -> None:
        self.client.system_message = value

    @property
    def tools(self) -> list[Callable[..., Any]]:
        return self.client.tools

    @tools.setter
    def tools(self, value: Iterable[Callable[..., Any] | str]) -> None:
        value = resolve(value)  # names ("time.now") become their tools now
        for fn in value:
            tool_spec(fn)  # a bad signature fails here, not in the middle of a run
        self.client.tools = value

    @property
    def max_iterations(self) -> int:
        """Rounds of tool calls per run; then one final call with tools disabled."""
        return self.client.max_tool_rounds

    @max_iterations.setter
    def max_iterations(self, value: int) -> None:
        self.client.max_tool_rounds = check_count(value, "max_iterations")

    def _own_conversations(self) -> list[tuple[str, Any]]:
        return [(self.name, self.client)]

    def _chat_options(
        self, generate_kwargs: Mapping[str, Any] | None, stream: bool, images: Any, schema: Any
    ) -> dict[str, Any]:
        """Start a run: the keyword arguments of the client's ``chat`` that runs it."""
        if self.reset_messages_on_run:
            self.client.reset()
        options = {
            "generate_kwargs": generate_kwargs,
            "use_tools": True,
            "stream": stream,
            "images": images,
        }
        if schema is not None:  # a client without structured output still runs plain tasks
            options["schema"] = schema
        return options

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, client={self.client!r})"


class Agent(AgentCore, Runner):
    """A model client with a system message and tools, looping until the model stops calling tools.

    Args:
        client: the model client (``aimu_core.client(...)``); the agent drives it.
        system_message: sets the client's system message (kept when ``None``).
        name: names the agent's chunks and its conversation in ``messages``.
        tools: ``@tool`` functions or names of registered tools (``"time.now"``,
            ``"calculator"``, a group such as ``"time"``); the client's own when ``None``.
        max_iterations: rounds of tool calls per run (the client's
            ``max_tool_rounds``, 10 by default); at the limit one final call is
            made with tools disabled, so a run always ends with an answer.
        reset_messages_on_run: start every run from an empty conversation
            (the default keeps the conversation going, like a chat).
        description: what the agent does; shown to a model by :meth:`as_tool`.
        tool_approval: ``approve(name, arguments)`` asked before each tool call:
            ``True`` runs it, ``False`` or a reason (a string) refuses it and the
            model reads the refusal as the tool's result. May be ``async``.
        deps: handed to every tool that declares a ``ToolContext`` parameter
            (``ctx.deps``); never shown to the model.
        concurrent_tool_calls: run the tool calls of one model turn at once
            (threads here, a ``TaskGroup`` in ``aimu_core.aio``); results go back
            in call order. Off by default on the sync side, on for async.
        mcp_client: an MCP client (``aimu_mcp.MCPClient``) whose tools are offered too;
            a Python tool wins a name collision (sets the client's ``mcp_client``).

    A tool that raises or gets bad arguments becomes a tool message the model
    reads (and can act on); the run goes on. A failing model call raises and
    leaves ``messages`` as it was before the run.

    ``run(task, schema=Model)`` returns a validated object instead of text (see
    ``aimu_core.models.structured``): the tools run as usual, and the final answer
    must match the schema.
    """

    def run(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
        images: Iterable[ImageInput] | None = None,
        schema: Any = None,
    ) -> Any:
        options = self._chat_options(generate_kwargs, stream, images, schema)
        result = self.client.chat(task, **options)
        return self._tagged(result) if stream else result

    def _tagged(self, chunks: Iterator[StreamChunk]) -> Iterator[StreamChunk]:
        counter = RoundCounter(self.name)
        try:
            for chunk in chunks:
                yield counter.tag(chunk)
        finally:
            close_stream(chunks)  # an abandoned stream rolls the conversation back now


class AsyncAgent(AgentCore, AsyncRunner):
    """Async twin of :class:`Agent` (``aimu_core.aio.Agent``), on an async client (``aio.client(...)``).

    The client's async tool loop runs a turn's tool calls concurrently.
    """

    async def run(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
        images: Iterable[ImageInput] | None = None,
        schema: Any = None,
    ) -> Any:
        options = self._chat_options(generate_kwargs, stream, images, schema)
        result = await self.client.chat(task, **options)
        return self._tagged(result) if stream else result

    async def _tagged(self, chunks: AsyncIterator[StreamChunk]) -> AsyncIterator[StreamChunk]:
        counter = RoundCounter(self.name)
        try:
            async for chunk in chunks:
                yield counter.tag(chunk)
        finally:
            await aclose_stream(chunks)
