"""aimu-mcp: the tools of any MCP server for aimu clients and agents, and skills served over MCP.

``MCPClient`` connects through the FastMCP client (in-process servers, stdio
commands, streamable HTTP and SSE URLs, ``mcpServers`` configs) and offers
the servers' tools to a model: ``aimu_core.client(..., mcp_client=mcp)``,
``Agent(client, mcp_client=mcp)`` or ``tools=mcp.as_tools()``.
``skills_server()`` builds a FastMCP server exposing a folder of skills.

Importing this module is cheap (plugin discovery imports it on every ``aimu``
command): names load on first use, and fastmcp when a client connects or a
server is built.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["AIMU_PLUGIN_API", "MCPClient", "MCPTool", "skills_server"]

AIMU_PLUGIN_API = 1

_LAZY = {"MCPClient": ".client", "MCPTool": ".client", "skills_server": ".skills"}

if TYPE_CHECKING:
    from .client import MCPClient, MCPTool
    from .skills import skills_server


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'aimu_mcp' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
