"""Dispatching a model's tool calls to Python ``@tool`` functions and an MCP client.

Python tools are looked up by name first, then the MCP client's tools: a
Python tool wins a name collision. Every failure (unknown tool, bad JSON, bad
arguments, an exception in the tool) becomes text the model can read and act
on; the conversation goes on. So does a call the ``approval`` callable
refuses. The approval callable's own exceptions are not the model's business:
they propagate, and the turn is rolled back.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from ..errors import ToolArgumentError, ToolServerError, quoted
from .context import ToolContext
from .decorator import tool_spec, validate_arguments
from .lookup import resolve

__all__ = ["MCPToolSource", "ToolApproval", "ToolResult", "Toolbox"]

#: ``approve(name, arguments)``: ``True`` runs the call; ``False`` or a reason (a string)
#: refuses it, and the model reads the refusal as the tool's result. May be ``async``.
ToolApproval = Callable[[str, dict[str, Any]], Any]


class MCPToolSource(Protocol):
    """What a client's ``mcp_client`` must offer (``aimu_mcp.MCPClient`` does)."""

    def get_tools(self) -> list[dict[str, Any]]: ...
    def call_tool(self, name: str, arguments: dict[str, Any]) -> Any: ...


class ToolResult(dict[str, Any]):
    """``{"name", "arguments", "response"}``: the content of a ``tool_calling`` chunk
    (with ``"refused": True`` when the approval callable refused the call)."""


class Toolbox:
    """The tools one model call may use.

    Args:
        tools: ``@tool`` functions, or names of registered tools (``"time.now"``).
        mcp_client: a source of remote tools.
        approval: asked before each call runs (see :data:`ToolApproval`).
        deps: handed to tools that take a :class:`~aimu_core.tools.ToolContext`.
    """

    def __init__(
        self,
        tools: Sequence[Callable[..., Any] | str] = (),
        mcp_client: MCPToolSource | None = None,
        *,
        approval: ToolApproval | None = None,
        deps: Any = None,
    ) -> None:
        self._python = {tool_spec(fn)["function"]["name"]: fn for fn in resolve(tools)}
        self._mcp = mcp_client
        self._mcp_specs: list[dict[str, Any]] | None = None
        self._approval = approval
        self._deps = deps

    def _remote_specs(self) -> list[dict[str, Any]]:
        if self._mcp is None:
            return []
        if self._mcp_specs is None:
            self._mcp_specs = [
                spec
                for spec in self._mcp.get_tools()
                if spec["function"]["name"] not in self._python
            ]
        return self._mcp_specs

    def specs(self) -> list[dict[str, Any]]:
        """OpenAI-format specs of every available tool."""
        return [tool_spec(fn) for fn in self._python.values()] + self._remote_specs()

    def __bool__(self) -> bool:
        return bool(self._python) or self._mcp is not None

    def _prepare(self, call: dict[str, Any]) -> tuple[str, Any, str | None]:
        function = call["function"]
        name, raw = function["name"], function.get("arguments") or "{}"
        try:
            arguments = json.loads(raw) if isinstance(raw, str) else raw
        except (ValueError, RecursionError) as exc:  # also: too deep, too many digits
            reason = type(exc).__name__ if isinstance(exc, RecursionError) else exc
            return (
                name,
                raw,
                f"Error: the arguments are not valid JSON ({reason}). Call {name} again.",
            )
        if name not in self._python and name not in {
            s["function"]["name"] for s in self._remote_specs()
        }:
            known = ", ".join(
                sorted(self._python) + [s["function"]["name"] for s in self._remote_specs()]
            )
            return (
                name,
                arguments,
                f"Error: there is no tool named {quoted(name)}. Available: {known}.",
            )
        return name, arguments, None

    def refusal(self, call: dict[str, Any]) -> ToolResult | None:
        """Ask the approval callable about *call*: its refusal as the call's result, or
        ``None`` to run it. Concurrent tool loops ask for every call, in call order, first."""
        name, arguments, error = self._prepare(call)
        if error is not None or self._approval is None:
            return None  # a malformed call reports itself when it is run
        verdict = self._approval(name, arguments)
        if inspect.isawaitable(verdict):
            verdict = asyncio.run(_await(verdict))
        return _refused(name, arguments, verdict)

    async def arefusal(self, call: dict[str, Any]) -> ToolResult | None:
        """Async :meth:`refusal`: a coroutine approval callable is awaited."""
        name, arguments, error = self._prepare(call)
        if error is not None or self._approval is None:
            return None
        verdict = self._approval(name, arguments)
        if inspect.isawaitable(verdict):
            verdict = await verdict
        return _refused(name, arguments, verdict)

    def call(self, call: dict[str, Any], *, approved: bool = False) -> ToolResult:
        """Run one OpenAI-format tool call; the response is always a string.

        Unless *approved* (asked already, see :meth:`refusal`), the approval comes first."""
        refused = None if approved else self.refusal(call)
        if refused is not None:
            return refused
        name, arguments, error = self._prepare(call)
        if error is None:
            try:
                response = _as_text(self._invoke(call, name, arguments))
            except ToolServerError:
                raise  # a dead tool server ends the turn (rolled back), see ToolServerError
            except Exception as exc:
                response = _error_text(name, exc)
        else:
            response = error
        return ToolResult(name=name, arguments=arguments, response=response)

    async def acall(self, call: dict[str, Any], *, approved: bool = False) -> ToolResult:
        """Async :meth:`call`: coroutine tools are awaited, sync ones run in a thread."""
        refused = None if approved else await self.arefusal(call)
        if refused is not None:
            return refused
        name, arguments, error = self._prepare(call)
        if error is None:
            try:
                if name in self._python and inspect.iscoroutinefunction(self._python[name]):
                    fn = self._python[name]
                    response = _as_text(await fn(**self._kwargs(fn, call, arguments)))
                else:
                    response = _as_text(
                        await asyncio.to_thread(self._invoke, call, name, arguments)
                    )
            except ToolServerError:
                raise  # a dead tool server ends the turn (rolled back), see ToolServerError
            except Exception as exc:
                response = _error_text(name, exc)
        else:
            response = error
        return ToolResult(name=name, arguments=arguments, response=response)

    def _kwargs(
        self, fn: Callable[..., Any], call: dict[str, Any], arguments: dict[str, Any]
    ) -> dict[str, Any]:
        kwargs = validate_arguments(fn, arguments)
        context = getattr(fn, "__tool_context__", None)
        if context is not None:
            kwargs[context] = ToolContext(
                deps=self._deps, tool_name=call["function"]["name"], call_id=call.get("id", "")
            )
        return kwargs

    def _invoke(self, call: dict[str, Any], name: str, arguments: dict[str, Any]) -> Any:
        if name in self._python:
            fn = self._python[name]
            result = fn(**self._kwargs(fn, call, arguments))
            if inspect.isawaitable(result):
                result = asyncio.run(_await(result))
            return result
        assert self._mcp is not None
        return self._mcp.call_tool(name, arguments)


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return str(value)


def _refused(name: str, arguments: Any, verdict: Any) -> ToolResult | None:
    """The result of a refused call, or ``None`` when *verdict* approves it."""
    if verdict is True:
        return None
    if isinstance(verdict, str) and verdict.strip():
        message = f"Error: the call to {name} was refused: {verdict.strip()}"
    elif verdict is False or verdict is None or isinstance(verdict, str):
        message = f"Error: the call to {name} was refused. Do not call it again this way."
    else:
        raise TypeError(
            f"tool_approval must return True, False or a reason (a string), got {quoted(verdict)}"
        )
    return ToolResult(name=name, arguments=arguments, response=message, refused=True)


def _error_text(name: str, exc: Exception) -> str:
    if isinstance(exc, ToolArgumentError):
        return f"Error: {exc}. Call {name} again with corrected arguments."
    return f"Error: tool {name} raised {type(exc).__name__}: {exc}"
