"""aimu-mcp: the tools of any MCP server for aimu clients and agents, and skills served over MCP.

``MCPClient`` connects through the FastMCP client (in-process servers, stdio
commands, streamable HTTP and SSE URLs, ``mcpServers`` configs) and offers
the servers' tools to a model: ``aimu_core.client(..., mcp_client=mcp)``,
``Agent(client, mcp_client=mcp)`` or ``tools=mcp.as_tools()``.
``skills_server()`` builds a FastMCP server exposing a folder of skills.

Importing this module is cheap: fastmcp loads when a client connects or a
server is built.
"""

from __future__ import annotations

from .client import MCPClient, MCPTool
from .skills import skills_server

__all__ = ["AIMU_PLUGIN_API", "MCPClient", "MCPTool", "skills_server"]

AIMU_PLUGIN_API = 1
