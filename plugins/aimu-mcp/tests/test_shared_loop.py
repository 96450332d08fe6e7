"""Who runs a client's event loop: the calling thread for sync calls, the watcher otherwise.

A sync call from a thread without an event loop runs the client's loop in
that thread (no hand-over to another thread and back); async calls, and calls
while another thread runs the loop, are handed to the loop wherever it runs;
after ``IDLE`` seconds without calls the watcher thread runs it. A client
entered with ``async with`` before its first use keeps its sessions on the
caller's loop instead. The in-process server's ``thread`` tool says
which thread ran its loop.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from aimu_mcp import MCPClient
from aimu_mcp._loop import IDLE, SharedLoop

from aimu_core.errors import ConcurrentUseError, ToolServerError
from conftest import call_in_flight, wait_gone


def test_a_sync_call_runs_the_loop_in_the_calling_thread(server: Any) -> None:
    with MCPClient(server) as mcp:
        assert mcp.call_tool("thread") == "MainThread"
        names: list[str] = []
        worker = threading.Thread(target=lambda: names.append(mcp.call_tool("thread")), name="w1")
        worker.start()
        worker.join()
        assert names == ["w1"]
        time.sleep(IDLE * 2)  # idle: the watcher runs the loop now...
        assert mcp.call_tool("thread") == "MainThread"  # ...until a sync call takes it back


def test_async_calls_are_handed_to_the_client_loop(server: Any) -> None:
    with MCPClient(server) as mcp:

        async def where() -> str:
            return await mcp.acall_tool("thread")

        assert asyncio.run(where()).startswith("aimu-mcp")  # the watcher thread


def test_a_second_thread_hands_its_call_to_the_thread_running_the_loop(server: Any) -> None:
    with MCPClient(server) as mcp:
        mcp.connect()
        names: list[str] = []

        def second() -> None:
            while not call_in_flight(mcp):
                time.sleep(0.005)
            names.append(mcp.call_tool("thread"))

        worker = threading.Thread(target=second, name="second")
        worker.start()
        assert mcp.call_tool("pause", {"seconds": 1.0}) == "done"
        worker.join(30)
        # the main thread ran the loop when the second call came: it ran that call too
        assert names == ["MainThread"]


def test_ctrl_c_cancels_the_call_and_the_client_goes_on(server: Any) -> None:
    main = threading.main_thread().ident
    assert main is not None and threading.get_ident() == main
    with MCPClient(server) as mcp:
        mcp.connect()
        timer = threading.Timer(0.3, signal.pthread_kill, (main, signal.SIGINT))
        start = time.monotonic()
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            mcp.call_tool("pause", {"seconds": 30})
        assert time.monotonic() - start < 10  # cancelled, not waited out
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert mcp.call_tool("add", {"a": 1, "b": 1}) == "2"  # the same session goes on


def test_an_idle_loop_is_run_by_the_watcher() -> None:
    """So that sessions go on answering server pings and reading what servers send."""
    shared = SharedLoop("watcher")
    try:
        assert shared.run(_thread_name()) == "MainThread"
        time.sleep(IDLE * 2)
        ran: list[str] = []
        done = threading.Event()
        shared.loop.call_soon_threadsafe(
            lambda: (ran.append(threading.current_thread().name), done.set())
        )
        assert done.wait(5) and ran == ["watcher"]
        assert shared.run(_thread_name()) == "MainThread"  # claimed back
        time.sleep(IDLE * 3)  # idle again: the watcher runs the loop again
        again = threading.Event()
        shared.loop.call_soon_threadsafe(again.set)
        assert again.wait(5)
    finally:
        shared.stop(5)
    assert not shared.alive and shared.loop.is_closed()


async def _thread_name() -> str:
    return threading.current_thread().name


EXIT_WITHOUT_CLOSE = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    from conftest import in_process_server
    from aimu_mcp import MCPClient

    mcp = MCPClient(in_process_server())
    print(mcp.call_tool("add", {"a": 1, "b": 2}), flush=True)  # a sync tool: a worker thread
    """
)


def test_exit_without_close_does_not_wait_on_an_in_process_servers_threads(
    tmp_path: Path,
) -> None:
    script = tmp_path / "parent.py"
    script.write_text(EXIT_WITHOUT_CLOSE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "3"), done.stderr


# -- a client entered with `async with` before its first use: sessions on the caller's loop


def test_async_with_keeps_the_sessions_on_the_callers_loop(server: Any) -> None:
    async def main() -> tuple[str, str, str]:
        async with MCPClient(server) as mcp:
            here = await mcp.acall_tool("thread")  # run in this loop: no thread hop
            # another thread's sync call is handed to this loop
            handed = await asyncio.to_thread(mcp.call_tool, "thread")
            try:
                await asyncio.wait_for(mcp.acall_tool("pause", {"seconds": 30}), 0.2)
            except TimeoutError:
                pass
            after = await mcp.acall_tool("add", {"a": 1, "b": 1})  # cancelled, not broken
            return here, handed, after

    assert asyncio.run(main()) == ("MainThread", "MainThread", "2")


def test_a_sync_call_inside_the_loop_that_holds_the_sessions_is_refused(server: Any) -> None:
    async def main() -> None:
        async with MCPClient(server) as mcp:
            with pytest.raises(ConcurrentUseError, match="async with"):
                mcp.call_tool("add", {"a": 1})
            assert await mcp.acall_tool("add", {"a": 1}) == "3"

    asyncio.run(main())


def test_the_block_end_closes_the_sessions_and_stdio_servers(stdio_command: list[str]) -> None:
    async def main() -> tuple[MCPClient, int]:
        async with MCPClient(stdio_command) as mcp:
            return mcp, int(await mcp.acall_tool("pid"))

    mcp, pid = asyncio.run(main())
    assert mcp.closed and wait_gone(pid)
    with pytest.raises(ToolServerError, match="closed"):
        mcp.call_tool("pid")


def test_a_client_used_before_async_with_keeps_its_shared_loop(server: Any) -> None:
    mcp = MCPClient(server)
    try:
        assert mcp.call_tool("thread") == "MainThread"  # a sync call ran the shared loop

        async def main() -> str:
            async with mcp:
                return await mcp.acall_tool("thread")

        assert asyncio.run(main()).startswith("aimu-mcp")  # handed to the watcher
    finally:
        mcp.close()


def test_a_client_entered_on_a_loop_that_is_idle_now_still_serves_sync_calls(
    stdio_command: list[str],
) -> None:
    loop = asyncio.new_event_loop()
    mcp = MCPClient(stdio_command)
    try:
        loop.run_until_complete(mcp.__aenter__())  # the loop stops running after this
        pid = int(mcp.call_tool("pid"))  # sync code runs that loop itself
        assert int(loop.run_until_complete(mcp.acall_tool("pid"))) == pid

        async def elsewhere() -> str:
            return await mcp.acall_tool("pid")

        with pytest.raises(ToolServerError, match="not running"):
            asyncio.run(elsewhere())  # another loop cannot wait on a loop nobody runs
        mcp.close()  # closes the sessions on the idle loop
        assert wait_gone(pid)
    finally:
        loop.close()
