"""``MCPClient``: the tools of one or more MCP servers, for aimu clients and agents.

Every server session lives on one event loop owned by the client
(:class:`~aimu_mcp._loop.SharedLoop`, which says why and who runs it). The
sync API (``call_tool``) and the async one (``acall_tool``) are two doors onto
the same coroutines there: one session per server, reused by every call from
any thread or event loop, until :meth:`MCPClient.close` (or the ``with`` block's
end, garbage collection, interpreter exit) closes the sessions and, for stdio
servers, ends their processes.

Failures, and what a model sees of them:

* bad arguments: :class:`~aimu_core.errors.ToolArgumentError`, checked here
  against the tool's JSON schema (jsonschema-rs) before anything is sent (the
  tool loop tells the model to call again);
* a tool that fails on the server, or does not answer within ``timeout``:
  :class:`~aimu_core.errors.ToolError` with the server's message (the model
  reads it and goes on);
* a server that cannot be started or reached, or dies mid-call:
  :class:`~aimu_core.errors.ToolServerError`, which ends the ``chat()`` with
  ``messages`` as they were. The next call connects again.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aimu_core.provider import (
    ConfigurationError,
    ToolArgumentError,
    ToolError,
    ToolServerError,
    clipped,
    quoted,
)

from ._loop import CallerLoop, SharedLoop
from ._sources import ServerSource, server_sources

__all__ = ["MCPClient", "MCPTool"]

#: Seconds a ``close()`` waits for the servers to shut down (a stdio server gets
#: its stdin closed, then SIGTERM, then SIGKILL, within this).
CLOSE_TIMEOUT = 8.0
_TOOL_NAME = re.compile(r"[^A-Za-z0-9_-]")


class _Connection:
    """One server's session, held open by a task on the client's loop."""

    def __init__(self, source: ServerSource, timeout: float | None, connect_timeout: float) -> None:
        self.source = source
        self.timeout = source.timeout if source.timeout is not None else timeout
        self.connect_timeout = connect_timeout
        self.client: Any = None
        self.tools: list[Any] = []
        self._task: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._lock: asyncio.Lock | None = None
        self._retiring: set[asyncio.Task[None]] = set()  # dead sessions winding down

    @property
    def open(self) -> bool:
        return self._task is not None and not self._task.done() and bool(self.client.is_connected())

    async def ensure_open(self) -> bool:
        """Connect unless connected; True when this call connected (the tools were listed)."""
        if self.open:
            return False
        if self._task is not None:
            self._retire()  # the session ended by itself (the server closed it)
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self.open:
                return False
            if self._task is not None:
                self._retire()
            if self._retiring:
                # A transport may be shared by the old session and the new one (a stdio
                # transport object is): let the old one finish tearing down first, or its
                # teardown would close the new session.
                await asyncio.wait(set(self._retiring), timeout=CLOSE_TIMEOUT)
            await self._connect()
            return True

    async def _connect(self) -> None:
        from fastmcp import Client

        # No session-wide read timeout: each call has its own (see call()).
        self.client = Client(
            self.source.transport, init_timeout=self.connect_timeout, log_handler=_quiet_log
        )
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._hold(ready, self._stop))
        try:
            async with asyncio.timeout(self.connect_timeout):
                await ready
                self.tools = await self.client.list_tools()
        except BaseException as exc:
            await self.close()
            if isinstance(exc, Exception):
                raise self._unreachable(exc) from None
            raise

    async def _hold(self, ready: asyncio.Future[None], stop: asyncio.Event) -> None:
        try:
            async with self.client:
                ready.set_result(None)
                await stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            elif not isinstance(exc, (Exception, asyncio.CancelledError)):
                raise

    def _retire(self) -> None:
        """Let the current session wind down on its own; the next call opens a new one."""
        if self._stop is not None:
            self._stop.set()
        if self._task is not None:
            self._retiring.add(self._task)
            self._task.add_done_callback(self._retiring.discard)
        self._task = None

    async def close(self) -> None:
        self._retire()
        tasks = set(self._retiring)
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=1)

    def _unreachable(self, exc: BaseException) -> ToolServerError:
        reason = "timed out" if isinstance(exc, TimeoutError) else _reason(exc)
        return ToolServerError(
            f"cannot connect to the MCP server {self.source.name!r} ({reason}). Check that it "
            "starts (run its command yourself) or is listening at its URL."
        )

    async def call(self, name: str, arguments: dict[str, Any], timeout: float | None) -> Any:
        if not self.open:
            await self.ensure_open()
        timeout = self.timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(timeout):
                return await self.client.call_tool_mcp(name, arguments)
        except TimeoutError:
            if self.open:
                raise ToolError(
                    f"the MCP tool {name!r} did not answer within {timeout} s"
                ) from None
            raise self._died(name, "it stopped answering") from None
        except Exception as exc:
            if self.open and _is_protocol_error(exc):
                raise ToolError(
                    f"the MCP server refused the call to {name!r}: {clipped(str(exc), 300)}"
                ) from None
            raise self._died(name, _reason(exc)) from None

    def _died(self, name: str, reason: str) -> ToolServerError:
        self._retire()  # the session is gone or unusable: the next call starts a new one
        return ToolServerError(
            f"the MCP server {self.source.name!r} failed during a call to {name!r} ({reason}); "
            "nothing was added to the conversation. The next call reconnects."
        )


def _reason(exc: BaseException) -> str:
    """An exception, as a message quotes it: its type, its text short, URL userinfo masked."""
    return f"{type(exc).__name__}: {clipped(str(exc), 300)}"


def _is_protocol_error(exc: BaseException) -> bool:
    """A JSON-RPC error answer (the server is alive and said no), not a broken session."""
    from mcp.shared.exceptions import MCPError

    return isinstance(exc, MCPError) and "closed" not in str(exc).lower()


def _quiet_log(message: Any) -> None:
    """Server log notifications are not the user's output: drop them."""


class MCPClient:
    """The tools of MCP servers, offered to a model next to (after) its Python tools.

    Args:
        server: a FastMCP server object (in-process); a URL (streamable HTTP,
            or SSE when the path ends in ``/sse``); a stdio command (a string
            like ``"npx -y some-server"``, an argv list, or a ``.py`` script run
            with this interpreter); or an MCP config, ``{"mcpServers": {...}}``
            or the path of a ``.json`` file holding one, for several servers.
            Tool names that two servers share are prefixed ``{server}_``.
        timeout: seconds one tool call may take (``None``: no limit). A config
            entry's ``timeout`` (milliseconds) wins for its server.
        connect_timeout: seconds to start or reach a server and list its tools.
        env, cwd: environment and working directory of a stdio command.

    Use it as ``mcp_client=`` of a client or an agent, or pass
    :meth:`as_tools` among their ``tools``. It connects on first use (or on
    :meth:`connect`, or entering ``with``/``async with``), and is safe to share
    between threads and event loops. Entered with ``async with`` before its
    first use, it keeps its sessions on that event loop: calls from the loop
    cost what the raw FastMCP client's do, other threads and loops hand theirs
    over, and a sync call from inside the loop is refused (it would block it).
    Close it (or use ``with``) to stop the servers; it is also closed when
    garbage-collected and at interpreter exit.
    """

    def __init__(
        self,
        server: Any,
        *,
        timeout: float | None = 30.0,
        connect_timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> None:
        if timeout is not None and timeout <= 0:
            raise ConfigurationError(f"timeout must be > 0 seconds or None, got {timeout!r}")
        sources = server_sources(server, env=env, cwd=cwd)
        self._connections = [_Connection(s, timeout, connect_timeout) for s in sources]
        self._catalog: _Catalog | None = None  # replaced whole, so readers see one listing
        self._loop: SharedLoop | CallerLoop = SharedLoop(
            f"aimu-mcp {','.join(s.name for s in sources)}"
        )
        self._finalizer = weakref.finalize(self, _shutdown, self._loop, self._connections)
        _OPEN.add(self)

    # -- lifecycle -------------------------------------------------------------------

    @property
    def servers(self) -> list[str]:
        """The servers' names (a config's keys; the server's own name otherwise)."""
        return [c.source.name for c in self._connections]

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def connect(self) -> MCPClient:
        """Start or reach every server and list its tools now (else: on first use)."""
        self._loop.run(self._open_all())
        return self

    async def aconnect(self) -> MCPClient:
        """Async :meth:`connect`."""
        await self._loop.arun(self._open_all())
        return self

    def close(self) -> None:
        """Close every session; stdio servers' processes end. Idempotent."""
        self._finalizer()

    async def aclose(self) -> None:
        """Async :meth:`close` (the shutdown runs in a worker thread, off your loop)."""
        await asyncio.to_thread(self._finalizer)

    def __enter__(self) -> MCPClient:
        return self.connect()

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> MCPClient:
        if self._catalog is None and isinstance(self._loop, SharedLoop) and self._loop.alive:
            # Entered before any use: the sessions can live on the caller's loop, where
            # its calls then run directly (no thread hop), and close with the block.
            self._adopt(asyncio.get_running_loop())
        return await self.aconnect()

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _adopt(self, loop: asyncio.AbstractEventLoop) -> None:
        unused = self._loop
        self._finalizer.detach()
        self._loop = CallerLoop(loop)
        self._finalizer = weakref.finalize(self, _shutdown, self._loop, self._connections)
        unused.stop(0)  # its watcher thread never ran a call

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"MCPClient(servers={self.servers}, {state})"

    # -- tools -----------------------------------------------------------------------

    def get_tools(self) -> list[dict[str, Any]]:
        """OpenAI-format specs of every tool of every server (connecting if needed)."""
        return list(self._listing().specs)

    async def aget_tools(self) -> list[dict[str, Any]]:
        """Async :meth:`get_tools`."""
        if self._catalog is None:
            await self._loop.arun(self._open_all())
        assert self._catalog is not None
        return list(self._catalog.specs)

    def refresh_tools(self) -> list[dict[str, Any]]:
        """List the servers' tools again (a server may add or remove tools)."""
        self._loop.run(self._open_all(refresh=True))
        return self.get_tools()

    def _listing(self) -> _Catalog:
        if self._catalog is None:
            self._loop.run(self._open_all())
        assert self._catalog is not None
        return self._catalog

    def as_tools(self) -> list[MCPTool]:
        """The servers' tools as callables the tool loop runs like ``@tool`` functions."""
        return [MCPTool(self, spec) for spec in self.get_tools()]

    def call_tool(
        self, name: str, arguments: Mapping[str, Any] | None = None, *, timeout: float | None = None
    ) -> str:
        """Call tool *name*; its result as text (what a model reads).

        Raises:
            ToolArgumentError: *arguments* do not match the tool's schema.
            ToolError: no such tool, the tool failed or timed out (*timeout*
                seconds, the client's ``timeout`` by default).
            ToolServerError: the server cannot be reached or died during the call.
        """
        connection, real, args = self._route(name, arguments)
        return _result_text(name, self._loop.run(connection.call(real, args, timeout)))

    async def acall_tool(
        self, name: str, arguments: Mapping[str, Any] | None = None, *, timeout: float | None = None
    ) -> str:
        """Async :meth:`call_tool`."""
        if self._catalog is None:
            await self.aget_tools()
        connection, real, args = self._route(name, arguments)
        return _result_text(name, await self._loop.arun(connection.call(real, args, timeout)))

    def _route(
        self, name: str, arguments: Mapping[str, Any] | None
    ) -> tuple[_Connection, str, dict[str, Any]]:
        catalog = self._listing()
        try:
            connection, real = catalog.routes[name]
        except KeyError:
            known = ", ".join(sorted(catalog.routes)) or "none"
            raise ToolError(f"no MCP tool is named {quoted(name)}; available: {known}") from None
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, Mapping):
            raise ToolArgumentError(f"arguments must be a JSON object, got {quoted(arguments)}")
        args = dict(arguments)
        validator = catalog.validators[name]
        if validator is not None and not validator.is_valid(args):
            errors = sorted(validator.iter_errors(args), key=lambda e: list(e.instance_path))
            problems = "; ".join(
                f"{'.'.join(map(str, e.instance_path)) or 'arguments'}: {e.message}"
                for e in errors[:5]
            )
            raise ToolArgumentError(f"bad arguments for tool {name}: {problems}")
        return connection, real, args

    async def _open_all(self, refresh: bool = False) -> None:
        opened = await asyncio.gather(*(c.ensure_open() for c in self._connections))
        if refresh:
            for connection, fresh in zip(self._connections, opened, strict=True):
                if not fresh:
                    connection.tools = await connection.client.list_tools()
        if refresh or any(opened) or self._catalog is None:
            self._catalog = _Catalog.of(self._connections)


@dataclass(frozen=True)
class _Catalog:
    """One listing of every server's tools: their specs, schema validators and servers."""

    specs: list[dict[str, Any]]
    validators: dict[str, Any]  # None for a schema the validator cannot compile
    routes: dict[str, tuple[_Connection, str]]

    @classmethod
    def of(cls, connections: Sequence[_Connection]) -> _Catalog:
        """Name every tool (prefixed by its server where names collide), compile its schema."""
        counts: dict[str, int] = {}
        for connection in connections:
            for tool in connection.tools:
                counts[tool.name] = counts.get(tool.name, 0) + 1
        catalog = cls([], {}, {})
        for connection in connections:
            for tool in connection.tools:
                name = tool.name
                if counts[name] > 1:
                    name = _TOOL_NAME.sub("_", f"{connection.source.name}_{tool.name}")
                schema = dict(tool.input_schema or {"type": "object", "properties": {}})
                catalog.routes[name] = (connection, tool.name)
                catalog.validators[name] = _validator(schema)
                catalog.specs.append(
                    {
                        "type": "function",
                        "function": {
                            "name": name,
                            "description": tool.description or "",
                            "parameters": schema,
                        },
                    }
                )
        return catalog


def _validator(schema: dict[str, Any]) -> Any:
    """A compiled JSON-schema validator (jsonschema-rs: a check costs well under a microsecond,
    against tens with the pure-Python jsonschema); ``None`` when the schema does not compile,
    and the server is left to check the arguments. A server's schema never makes us fetch
    anything: remote ``$ref``s are not followed (``offline``)."""
    import jsonschema_rs

    try:
        return jsonschema_rs.validator_for(schema, offline=True)
    except (ValueError, jsonschema_rs.ReferencingError):  # ValidationError is a ValueError
        return None


class _Unset:
    """An argument the model left out: not sent, so the server applies its own default."""

    def __repr__(self) -> str:
        return "<unset>"

    def __copy__(self) -> _Unset:
        return self

    def __deepcopy__(self, memo: Any) -> _Unset:
        return self


_UNSET = _Unset()


class MCPTool:
    """One MCP tool as a callable with an ``@tool``-style spec: ``tool(**arguments) -> str``.

    The tool loop validates the argument names against ``__tool_arguments__``
    (unknown and missing required ones); :meth:`MCPClient.call_tool` checks the
    values against the server's schema.
    """

    __tool_context__ = None  # no ToolContext parameter: MCP tools take only model arguments

    def __init__(self, client: MCPClient, spec: dict[str, Any]) -> None:
        function = spec["function"]
        self._client = client
        self.__name__ = self.__qualname__ = function["name"]
        self.__doc__ = function["description"]
        self.__tool_spec__ = spec
        self.__tool_arguments__ = _arguments_model(function["name"], function["parameters"])

    def __call__(self, **arguments: Any) -> str:
        sent = {k: v for k, v in arguments.items() if v is not _UNSET}
        return self._client.call_tool(self.__name__, sent)

    def __repr__(self) -> str:
        return f"MCPTool({self.__name__!r})"


def _arguments_model(name: str, schema: Mapping[str, Any]) -> Any:
    """A pydantic model accepting exactly the schema's argument names (values pass through)."""
    import pydantic

    required = set(schema.get("required", ()))
    fields: dict[str, Any] = {}
    for index, prop in enumerate(schema.get("properties", {})):
        default = ... if prop in required else _UNSET
        fields[f"p{index}"] = (Any, pydantic.Field(default, alias=prop))
    open_ended = schema.get("additionalProperties") not in (None, False)
    return pydantic.create_model(
        f"{_TOOL_NAME.sub('_', name)}_arguments",
        __config__=pydantic.ConfigDict(extra="allow" if open_ended else "forbid"),
        **fields,
    )


def _result_text(name: str, result: Any) -> str:
    """What a model reads of a tool result: its text blocks, placeholders for the rest."""
    parts = []
    for block in result.content:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        elif kind in ("image", "audio"):
            parts.append(f"[{kind}: {block.mime_type}, {len(block.data) * 3 // 4} bytes]")
        elif kind == "resource":
            resource = block.resource
            parts.append(getattr(resource, "text", None) or f"[resource {resource.uri}]")
        elif kind == "resource_link":
            parts.append(f"[resource link: {block.uri}]")
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content, default=str))
    text = "\n".join(parts)
    if result.is_error:
        raise ToolError(text or f"the MCP tool {name!r} failed without a message")
    return text


#: Every client not yet garbage-collected, for :func:`_close_open_clients`.
_OPEN: weakref.WeakSet[MCPClient] = weakref.WeakSet()


def _close_open_clients() -> None:
    """At interpreter exit, close every client before Python waits for its threads.

    A sync call runs the client's loop in the calling thread, so a thread that
    code on the loop starts there (anyio's worker threads, running an
    in-process server's sync tools) is no daemon when that is the main thread.
    Python joins such threads before it runs ``atexit`` handlers (where
    ``weakref.finalize`` would close the client), and they end only when the
    sessions close: without this hook, exit would wait forever.
    """
    for client in list(_OPEN):
        client.close()


# The hook concurrent.futures uses for the same reason (run before non-daemon threads
# are joined); private, hence the guard.
if hasattr(threading, "_register_atexit"):
    threading._register_atexit(_close_open_clients)


def _shutdown(loop: SharedLoop | CallerLoop, connections: Sequence[_Connection]) -> None:
    """Close the sessions and stop the loop: at close(), garbage collection or exit."""
    if not loop.alive:
        return

    async def close_all() -> None:
        await asyncio.gather(*(c.close() for c in connections), return_exceptions=True)

    if loop.in_loop():  # the last reference died on the loop itself: do not wait on it
        loop.submit(close_all()).add_done_callback(lambda _: loop.stop(0))
        return
    try:
        if isinstance(loop, CallerLoop) and not loop.loop.is_running():
            loop.run(asyncio.wait_for(close_all(), CLOSE_TIMEOUT + 2))  # idle: run it here
        else:
            loop.submit(close_all()).result(CLOSE_TIMEOUT + 2)
    except Exception:  # a stuck server: the loop stops anyway (its thread is a daemon)
        pass
    finally:
        loop.stop(CLOSE_TIMEOUT)
