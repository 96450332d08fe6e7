"""Dispatching a model's tool calls to Python ``@tool`` functions and an MCP client.

Python tools are looked up by name first, then the MCP client's tools: a
Python tool wins a name collision. Every failure (unknown tool, bad JSON, bad
arguments, an exception in the tool) becomes text the model can read and act
on; the conversation goes on.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from ..errors import ToolArgumentError, quoted
from .decorator import tool_spec, validate_arguments

__all__ = ["MCPToolSource", "Toolbox", "ToolResult"]


class MCPToolSource(Protocol):
    """What a client's ``mcp_client`` must offer (``aimu_mcp.MCPClient`` does)."""

    def get_tools(self) -> list[dict[str, Any]]: ...
    def call_tool(self, name: str, arguments: dict[str, Any]) -> Any: ...


class ToolResult(dict[str, Any]):
    """``{"name", "arguments", "response"}``: the content of a ``tool_calling`` chunk."""


class Toolbox:
    """The tools one model call may use."""

    def __init__(
        self, tools: Sequence[Callable[..., Any]] = (), mcp_client: MCPToolSource | None = None
    ) -> None:
        self._python = {tool_spec(fn)["function"]["name"]: fn for fn in tools}
        self._mcp = mcp_client
        self._mcp_specs: list[dict[str, Any]] | None = None

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

    def call(self, call: dict[str, Any]) -> ToolResult:
        """Run one OpenAI-format tool call; the response is always a string."""
        name, arguments, error = self._prepare(call)
        if error is None:
            try:
                response = _as_text(self._invoke(name, arguments))
            except Exception as exc:
                response = _error_text(name, exc)
        else:
            response = error
        return ToolResult(name=name, arguments=arguments, response=response)

    async def acall(self, call: dict[str, Any]) -> ToolResult:
        """Async :meth:`call`: coroutine tools are awaited, sync ones run in a thread."""
        name, arguments, error = self._prepare(call)
        if error is None:
            try:
                if name in self._python and inspect.iscoroutinefunction(self._python[name]):
                    fn = self._python[name]
                    response = _as_text(await fn(**validate_arguments(fn, arguments)))
                else:
                    response = _as_text(await asyncio.to_thread(self._invoke, name, arguments))
            except Exception as exc:
                response = _error_text(name, exc)
        else:
            response = error
        return ToolResult(name=name, arguments=arguments, response=response)

    def _invoke(self, name: str, arguments: dict[str, Any]) -> Any:
        if name in self._python:
            fn = self._python[name]
            result = fn(**validate_arguments(fn, arguments))
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


def _error_text(name: str, exc: Exception) -> str:
    if isinstance(exc, ToolArgumentError):
        return f"Error: {exc}. Call {name} again with corrected arguments."
    return f"Error: tool {name} raised {type(exc).__name__}: {exc}"
