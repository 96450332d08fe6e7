"""MCPClient against real FastMCP servers: in-process, stdio, streamable HTTP and SSE on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from aimu_mcp import MCPClient

from aimu_core.errors import (
    AimuError,
    ConfigurationError,
    ToolArgumentError,
    ToolError,
    ToolServerError,
)
from conftest import call_in_flight, free_port, wait_gone


def test_in_process_tools_come_with_the_servers_schemas(server: Any) -> None:
    with MCPClient(server) as mcp:
        specs = {s["function"]["name"]: s["function"] for s in mcp.get_tools()}
        assert set(specs) == {"add", "echo", "boom", "slow", "pause", "thread", "pid", "die"}
        add = specs["add"]
        assert add["description"] == "Add two integers."
        assert add["parameters"]["properties"]["a"] == {"type": "integer"}
        assert add["parameters"]["required"] == ["a"]
        assert mcp.call_tool("add", {"a": 40}) == "42"  # the server's default for b
        assert mcp.call_tool("echo", {"text": "hi"}) == "hi"
        assert mcp.servers == ["demo"]


def test_arguments_are_checked_against_the_schema_before_sending(server: Any) -> None:
    with MCPClient(server) as mcp:
        with pytest.raises(ToolArgumentError, match='a: "x" is not of type "integer"'):
            mcp.call_tool("add", {"a": "x"})
        with pytest.raises(ToolArgumentError, match='"a" is a required property'):
            mcp.call_tool("add", {})
        with pytest.raises(ToolArgumentError, match="'q' was unexpected"):
            mcp.call_tool("add", {"a": 1, "q": 2})
        with pytest.raises(ToolArgumentError, match="JSON object"):
            mcp.call_tool("add", [1, 2])  # type: ignore[arg-type]


def test_tool_errors_and_unknown_tools_are_tool_errors(server: Any) -> None:
    with MCPClient(server) as mcp:
        with pytest.raises(ToolError, match="failed on purpose") as failed:
            mcp.call_tool("boom")
        assert not isinstance(failed.value, ToolServerError)
        with pytest.raises(ToolError, match="no MCP tool is named 'nope'; available: add, boom"):
            mcp.call_tool("nope")
        assert mcp.call_tool("add", {"a": 1, "b": 1}) == "2"  # the session goes on


def test_a_call_past_its_timeout_is_a_tool_error_and_the_session_survives(
    stdio_command: list[str],
) -> None:
    with MCPClient(stdio_command, timeout=0.5) as mcp:
        first = mcp.call_tool("pid")
        with pytest.raises(ToolError, match="did not answer within 0.5 s") as late:
            mcp.call_tool("slow", {"seconds": 2})
        assert not isinstance(late.value, ToolServerError)
        assert mcp.call_tool("slow", {"seconds": 0}, timeout=5) == "done"
        assert mcp.call_tool("pid") == first  # the same server process, not a restart


def test_as_tools_are_tool_objects(server: Any) -> None:
    with MCPClient(server) as mcp:
        tools = {t.__name__: t for t in mcp.as_tools()}
        add = tools["add"]
        assert add.__tool_spec__["function"]["name"] == "add"
        assert add.__doc__ == "Add two integers."
        assert add(a=1, b=5) == "6"


def test_one_stdio_session_serves_sync_calls_and_every_asyncio_run(
    stdio_command: list[str],
) -> None:
    mcp = MCPClient(stdio_command)
    try:
        pid = int(mcp.call_tool("pid"))

        async def remote_pid() -> int:
            return int(await mcp.acall_tool("pid"))

        assert asyncio.run(remote_pid()) == pid
        assert asyncio.run(remote_pid()) == pid  # a new loop: the same server process
        assert int(mcp.call_tool("pid")) == pid
    finally:
        mcp.close()
    assert wait_gone(pid)


def test_threads_share_one_client(server: Any) -> None:
    results: dict[int, str] = {}
    errors: list[BaseException] = []
    with MCPClient(server) as mcp:

        def work(i: int) -> None:
            try:
                results[i] = mcp.call_tool("add", {"a": i, "b": 1000})
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert results == {i: str(i + 1000) for i in range(16)}


def test_async_calls_run_concurrently_on_one_session(stdio_command: list[str]) -> None:
    async def main() -> list[str]:
        async with MCPClient(stdio_command) as mcp:
            return await asyncio.gather(
                *(mcp.acall_tool("add", {"a": i, "b": 0}) for i in range(8)),
                mcp.acall_tool("slow", {"seconds": 0.2}),
            )

    assert asyncio.run(main()) == [str(i) for i in range(8)] + ["done"]


def test_close_ends_the_stdio_server_and_the_client(stdio_command: list[str]) -> None:
    mcp = MCPClient(stdio_command)
    pid = int(mcp.call_tool("pid"))
    mcp.close()
    mcp.close()  # idempotent
    assert mcp.closed
    assert wait_gone(pid)
    with pytest.raises(AimuError, match="closed"):
        mcp.call_tool("pid")


def test_closing_during_a_call_ends_it_with_a_server_error(server: Any) -> None:
    mcp = MCPClient(server).connect()
    failures: list[BaseException] = []

    def call() -> None:
        try:
            mcp.call_tool("slow", {"seconds": 2})
        except BaseException as exc:
            failures.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    while not failures and caller.is_alive() and not call_in_flight(mcp):
        time.sleep(0.01)
    mcp.close()
    caller.join(30)
    assert not caller.is_alive()
    assert len(failures) == 1 and isinstance(failures[0], ToolServerError), failures


def test_a_server_dying_mid_call_is_a_server_error_then_it_reconnects(
    stdio_command: list[str],
) -> None:
    with MCPClient(stdio_command) as mcp:
        first = int(mcp.call_tool("pid"))
        with pytest.raises(ToolServerError, match="failed during a call to 'die'"):
            mcp.call_tool("die")
        assert wait_gone(first)
        second = int(mcp.call_tool("pid"))
        assert second != first


def test_http_on_loopback(http_url: str) -> None:
    with MCPClient(http_url) as mcp:
        assert mcp.call_tool("add", {"a": 1, "b": 2}) == "3"
        with pytest.raises(ToolError, match="failed on purpose"):
            mcp.call_tool("boom")

    async def main() -> str:
        async with MCPClient(http_url) as remote:
            return await remote.acall_tool("echo", {"text": "over http"})

    assert asyncio.run(main()) == "over http"


def test_sse_on_loopback(sse_url: str) -> None:
    with MCPClient(sse_url) as mcp:
        assert mcp.call_tool("echo", {"text": "over sse"}) == "over sse"


def test_a_config_of_several_servers_prefixes_only_colliding_names(
    tmp_path: Path, http_url: str, sse_url: str
) -> None:
    config = {"mcpServers": {"first": {"url": http_url}, "second": {"url": sse_url}}}
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    for source in (config, path, str(path)):
        with MCPClient(source) as mcp:
            names = {s["function"]["name"] for s in mcp.get_tools()}
            assert {"first_add", "second_add", "first_echo"} <= names
            assert "add" not in names
            assert mcp.call_tool("first_add", {"a": 1}) == "3"
            assert mcp.call_tool("second_echo", {"text": "r"}) == "r"
            assert mcp.servers == ["first", "second"]


def test_unique_names_of_a_config_stay_unprefixed(server_script: Path) -> None:
    config = {"mcpServers": {"only": {"command": sys.executable, "args": [str(server_script)]}}}
    with MCPClient(config) as mcp:
        assert mcp.call_tool("add", {"a": 1, "b": 1}) == "2"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"mcpServers": {}}, "non-empty 'mcpServers'"),
        ({"servers": 1}, "non-empty 'mcpServers'"),
        ({"mcpServers": {"x": {"args": ["no command"]}}}, "server 'x' is malformed"),
        ("", "empty server string"),
        (42, "cannot connect to 42"),
        ("missing-config.json", "cannot read the MCP config"),
    ],
)
def test_bad_sources_are_configuration_errors(source: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        MCPClient(source)


def test_a_bad_config_file_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not valid JSON"):
        MCPClient(path)


def test_unreachable_servers_are_server_errors(tmp_path: Path) -> None:
    with pytest.raises(ToolServerError, match="cannot connect to the MCP server"):
        MCPClient(["aimu-no-such-command-here"], connect_timeout=10).connect()
    with pytest.raises(ToolServerError, match="cannot connect"):
        MCPClient(f"http://127.0.0.1:{free_port()}/mcp", connect_timeout=5).get_tools()
    crashing = tmp_path / "crash.py"
    crashing.write_text("raise SystemExit(2)\n", encoding="utf-8")
    with pytest.raises(ToolServerError, match="cannot connect"):
        MCPClient(str(crashing), connect_timeout=10).connect()


def test_the_stdio_environment_and_working_directory_are_passed(
    server_script: Path, tmp_path: Path
) -> None:
    env = {"ECHO_PREFIX": "env:", "PATH": os.environ.get("PATH", "")}
    with MCPClient([sys.executable, str(server_script)], env=env, cwd=tmp_path) as mcp:
        assert mcp.call_tool("echo", {"text": "x"}) == "env:x"


def test_bad_timeout_is_refused(server: Any) -> None:
    with pytest.raises(ConfigurationError, match="timeout must be > 0"):
        MCPClient(server, timeout=0)


def test_refresh_tools_sees_tools_added_since(server: Any) -> None:
    with MCPClient(server) as mcp:
        assert "triple" not in {s["function"]["name"] for s in mcp.get_tools()}

        @server.tool
        def triple(x: int) -> int:
            """Three times x."""
            return 3 * x

        with pytest.raises(ToolError, match="no MCP tool is named 'triple'"):
            mcp.call_tool("triple", {"x": 2})  # the listing is kept until refreshed
        assert "triple" in {s["function"]["name"] for s in mcp.refresh_tools()}
        assert mcp.call_tool("triple", {"x": 2}) == "6"


def test_closing_during_an_async_call_ends_it_with_a_server_error(server: Any) -> None:
    mcp = MCPClient(server).connect()

    async def main() -> None:
        call = asyncio.ensure_future(mcp.acall_tool("slow", {"seconds": 2}))
        while not call_in_flight(mcp):
            await asyncio.sleep(0.01)
        await mcp.aclose()
        with pytest.raises(ToolServerError):
            await call

    asyncio.run(main())


def test_a_schema_that_does_not_compile_leaves_the_check_to_the_server() -> None:
    from aimu_mcp.client import _validator

    assert _validator({"type": 5}) is None
    assert _validator({"$ref": "https://example.invalid/schema.json"}) is None  # never fetched
    assert _validator({"type": "object"}) is not None
