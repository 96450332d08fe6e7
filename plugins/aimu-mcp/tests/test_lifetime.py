"""Stdio servers never outlive their client or the interpreter; nothing hangs at exit or on Ctrl-C.

Each test runs a parent interpreter that owns an MCPClient with a stdio
server, ends the parent one way (exit without close, SIGKILL, Ctrl-C in the
middle of a call), then checks that the server's process is gone.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from aimu_core.testing import modules_after
from conftest import pid_alive, wait_gone

PARENT = textwrap.dedent(
    """
    import sys, time
    from aimu_mcp import MCPClient

    mcp = MCPClient([sys.executable, sys.argv[1]])
    print(mcp.call_tool("pid"), flush=True)
    if sys.argv[2] == "sleep":
        time.sleep(120)
    elif sys.argv[2] == "call":
        print("calling", flush=True)
        mcp.call_tool("slow", {"seconds": 120}, timeout=300)
    """
)


@contextlib.contextmanager
def _parent(
    tmp_path: Path, server_script: Path, mode: str
) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """The parent running, and its server's pid."""
    script = tmp_path / "parent.py"
    script.write_text(PARENT, encoding="utf-8")
    with subprocess.Popen(
        [sys.executable, str(script), str(server_script), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        line = process.stdout.readline()
        try:
            assert line.strip().isdigit(), process.stderr.read()
            yield process, int(line)
        finally:
            if process.poll() is None:
                process.kill()


def test_exiting_without_close_ends_the_server(tmp_path: Path, server_script: Path) -> None:
    with _parent(tmp_path, server_script, "exit") as (process, pid):
        assert process.wait(60) == 0
    assert wait_gone(pid)


def test_a_killed_parent_leaves_no_server_behind(tmp_path: Path, server_script: Path) -> None:
    with _parent(tmp_path, server_script, "sleep") as (process, pid):
        assert pid_alive(pid)
        process.kill()  # SIGKILL: no atexit, no finalizer; the server sees its stdin close
        process.wait(30)
    assert wait_gone(pid)


def test_ctrl_c_during_a_call_interrupts_it_and_ends_the_server(
    tmp_path: Path, server_script: Path
) -> None:
    with _parent(tmp_path, server_script, "call") as (process, pid):
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.readline().strip() == "calling"
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(60)  # the call would take 120 s: it was interrupted
        except subprocess.TimeoutExpired:  # pragma: no cover - what this test exists for
            pytest.fail("the parent hung after Ctrl-C")
        assert code != 0
        assert "KeyboardInterrupt" in process.stderr.read()
    assert wait_gone(pid)


def test_importing_aimu_core_or_the_plugin_loads_no_mcp_library() -> None:
    for code in ("import aimu_core", "import aimu_mcp", "import aimu_core.agents, aimu_core.aio"):
        for prefix in ("fastmcp", "mcp", "jsonschema"):
            assert modules_after(code, prefix=prefix) == set(), (code, prefix)


def test_plugin_discovery_loads_no_mcp_library_and_no_client_code() -> None:
    code = "import aimu_core.plugins; aimu_core.plugins.get_manager()"
    assert modules_after(code, prefix="fastmcp") == set()
    assert modules_after(code, prefix="mcp") == set()
    assert modules_after(code, prefix="aimu_mcp") == {"aimu_mcp"}  # names load on first use
