"""What ``MCPClient(server)`` accepts, turned into one FastMCP transport per named server.

A FastMCP server object (in-process), a URL (streamable HTTP; a path ending
in ``/sse`` is SSE), a stdio command (a string, an argv list, or a ``.py``
script run with this interpreter), an MCP config (``{"mcpServers": {...}}``,
as a dict or a ``.json`` file), or a FastMCP transport. A config gives one
transport per server: :class:`~aimu_mcp.MCPClient` connects to each itself,
so that tools are prefixed only where their names collide.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aimu_core.provider import ConfigurationError, quoted

__all__ = ["ServerSource", "server_sources"]

_HELP = (
    "give a FastMCP server object, a URL (http://host/mcp), a stdio command "
    "(['python', 'server.py'] or 'npx some-server'), or an MCP config "
    "({'mcpServers': {...}} or a path to a .json file)"
)


@dataclass
class ServerSource:
    """One server to connect to: its name, its FastMCP transport, its own request timeout."""

    name: str
    transport: Any
    timeout: float | None = None


def server_sources(
    server: Any, *, env: Mapping[str, str] | None = None, cwd: str | os.PathLike[str] | None = None
) -> list[ServerSource]:
    """The servers *server* describes (see the module docstring)."""
    from fastmcp.client.transports import ClientTransport, StdioTransport

    if isinstance(server, ClientTransport):
        if isinstance(server, StdioTransport):
            server.keep_alive = False  # the process ends with the client's session
        return [ServerSource("server", server)]
    if _is_server_object(server):
        from fastmcp.client.transports import FastMCPTransport

        return [
            ServerSource(str(getattr(server, "name", "") or "server"), FastMCPTransport(server))
        ]
    if isinstance(server, Mapping):
        return _config_sources(server, "the MCP config")
    if isinstance(server, os.PathLike) or (
        isinstance(server, str) and server.endswith(".json") and "://" not in server
    ):
        return _config_sources(_read_config(Path(server)), str(server))
    if isinstance(server, str):
        if server.startswith(("http://", "https://")):
            return [ServerSource(_url_name(server), _url_transport(server))]
        if not server.strip():
            raise ConfigurationError(f"MCPClient got an empty server string; {_HELP}")
        return [_stdio(shlex.split(server), env, cwd)]
    if isinstance(server, Sequence) and server and all(isinstance(a, str) for a in server):
        return [_stdio(list(server), env, cwd)]
    raise ConfigurationError(f"MCPClient cannot connect to {quoted(server)}; {_HELP}")


def _is_server_object(server: Any) -> bool:
    # FastMCP servers and the MCP SDK's own server class, without importing either here.
    module = type(server).__module__
    return module.startswith(("fastmcp.", "mcp.")) and hasattr(server, "name")


def _stdio(
    argv: list[str], env: Mapping[str, str] | None, cwd: str | os.PathLike[str] | None
) -> ServerSource:
    from fastmcp.client.transports import StdioTransport

    if argv[0].endswith(".py"):
        argv = [sys.executable, *argv]
    transport = StdioTransport(
        argv[0],
        argv[1:],
        env=dict(env) if env is not None else None,
        cwd=os.fspath(cwd) if cwd is not None else None,
        keep_alive=False,
    )
    return ServerSource(Path(argv[-1]).stem or Path(argv[0]).name, transport)


def _url_transport(url: str, headers: Mapping[str, str] | None = None) -> Any:
    from fastmcp.mcp_config import RemoteMCPServer

    return RemoteMCPServer(url=url, headers=dict(headers or {})).to_transport()


def _url_name(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or "server"


def _read_config(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read the MCP config {str(path)!r}: {exc.strerror or exc}"
        ) from None
    except ValueError as exc:
        raise ConfigurationError(f"the MCP config {str(path)!r} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(
            f"the MCP config {str(path)!r} must be a JSON object with an 'mcpServers' object"
        )
    return data


def _config_sources(config: Mapping[str, Any], where: str) -> list[ServerSource]:
    from fastmcp.client.transports import StdioTransport
    from fastmcp.mcp_config import MCPConfig
    from pydantic import ValidationError

    servers = config.get("mcpServers")
    if not isinstance(servers, Mapping) or not servers:
        raise ConfigurationError(
            f"{where} needs a non-empty 'mcpServers' object: "
            '{"mcpServers": {"name": {"command": "...", "args": [...]} or {"url": "..."}}}'
        )
    sources = []
    for name, entry in servers.items():
        try:
            parsed = MCPConfig.model_validate({"mcpServers": {name: entry}}).mcpServers[name]
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'][2:])) or name}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigurationError(
                f"{where}: server {name!r} is malformed ({problems})"
            ) from None
        transport = parsed.to_transport()
        if isinstance(transport, StdioTransport) and getattr(parsed, "keep_alive", None) is None:
            transport.keep_alive = False
        timeout = getattr(parsed, "timeout", None)
        sources.append(ServerSource(name, transport, timeout / 1000 if timeout else None))
    return sources
