"""Real FastMCP servers for the tests: in-process, over stdio, over HTTP on loopback.

One server script (:data:`SERVER`) serves every transport: ``python server.py``
speaks stdio, ``python server.py http PORT`` streamable HTTP and ``... sse PORT``
SSE on 127.0.0.1. Its tools cover what the client must handle: a result, a
tool error, a slow call (blocking, and awaiting), the server's pid (to check
its process ends), the thread running its loop (in-process: where a call ran),
and a call that kills the server mid-call.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import aimu_core.plugins
import aimu_core.testing.scripted

aimu_core.plugins.register(aimu_core.testing.scripted)

SERVER = textwrap.dedent(
    '''
    import asyncio, os, sys, threading, time
    from fastmcp import FastMCP

    mcp = FastMCP(os.environ.get("SERVER_NAME", "demo"))

    @mcp.tool
    def add(a: int, b: int = 2) -> int:
        """Add two integers."""
        return a + b

    @mcp.tool
    def echo(text: str) -> str:
        """Return the text unchanged."""
        return os.environ.get("ECHO_PREFIX", "") + text

    @mcp.tool
    def boom() -> str:
        """Always fails."""
        raise ValueError("the boom tool failed on purpose")

    @mcp.tool
    def slow(seconds: float) -> str:
        """Sleep, then answer."""
        time.sleep(seconds)
        return "done"

    @mcp.tool
    async def pause(seconds: float) -> str:
        """Wait without blocking the server's event loop, then answer."""
        await asyncio.sleep(seconds)
        return "done"

    @mcp.tool
    async def thread() -> str:
        """The name of the thread running the server's event loop."""
        return threading.current_thread().name

    @mcp.tool
    def pid() -> int:
        """The server's process id."""
        return os.getpid()

    @mcp.tool
    def die() -> str:
        """Kill the server mid-call."""
        os._exit(3)

    if __name__ == "__main__":
        if len(sys.argv) > 2:
            mcp.run(transport=sys.argv[1], host="127.0.0.1", port=int(sys.argv[2]),
                    show_banner=False, log_level="ERROR")
        else:
            mcp.run(show_banner=False, log_level="ERROR")
    '''
)


def in_process_server(name: str = "demo") -> Any:
    """The same tools as :data:`SERVER`, as a FastMCP object in this process."""
    from fastmcp import FastMCP

    namespace: dict[str, Any] = {"__name__": "in_process"}
    os.environ["SERVER_NAME"] = name
    try:
        exec(compile(SERVER, "server.py", "exec"), namespace)
    finally:
        del os.environ["SERVER_NAME"]
    server = namespace["mcp"]
    assert isinstance(server, FastMCP)
    return server


@pytest.fixture
def server() -> Any:
    return in_process_server()


@pytest.fixture(scope="session")
def server_script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mcp") / "server.py"
    path.write_text(SERVER, encoding="utf-8")
    return path


@pytest.fixture
def stdio_command(server_script: Path) -> list[str]:
    return [sys.executable, str(server_script)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(script: Path, transport: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(script), transport, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the {transport} MCP server did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/{'sse' if transport == 'sse' else 'mcp'}"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="session")
def http_url(server_script: Path) -> Iterator[str]:
    """A streamable HTTP server on loopback (a subprocess), for the whole session."""
    yield from _serve(server_script, "http")


@pytest.fixture(scope="session")
def sse_url(server_script: Path) -> Iterator[str]:
    yield from _serve(server_script, "sse")


def call_in_flight(mcp: Any) -> bool:
    """Whether a tool call runs on the client's loop now (the tests reach in, to act only once
    the call has started)."""
    import asyncio

    return any("call" in repr(t.get_coro()) for t in asyncio.all_tasks(mcp._loop.loop))


def pid_alive(pid: int) -> bool:
    """Whether process *pid* still runs (a zombie awaiting its reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_gone(pid: int, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
