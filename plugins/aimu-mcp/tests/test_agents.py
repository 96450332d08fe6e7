"""Agents on the scripted model calling MCP tools end to end, sync and async."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aimu_mcp import MCPClient

import aimu_core
import aimu_core.aio
from aimu_core.agents import Agent
from aimu_core.errors import ToolServerError
from aimu_core.testing.scripted import Turn
from aimu_core.tools import tool


def tool_messages(messages: list[dict[str, Any]]) -> list[str]:
    return [m["content"] for m in messages if m["role"] == "tool"]


def test_an_agent_calls_mcp_tools_end_to_end(server: Any) -> None:
    client = aimu_core.client(
        "scripted:scripted",
        script=[
            Turn(tool_calls=[("add", {"a": 2, "b": 3}), ("echo", {"text": "hi"})]),
            Turn("2 + 3 = 5"),
        ],
    )
    with MCPClient(server) as mcp:
        agent = Agent(client, "Use the tools.", mcp_client=mcp)
        assert agent.run("What is 2 + 3?") == "2 + 3 = 5"
    assert tool_messages(client.messages) == ["5", "hi"]
    offered = [t["function"]["name"] for t in client.requests[0]["tools"]]
    assert {"add", "echo", "boom"} <= set(offered)


def test_tool_errors_and_bad_arguments_reach_the_model_as_tool_messages(server: Any) -> None:
    client = aimu_core.client(
        "scripted:scripted",
        script=[
            Turn(tool_calls=[("boom", {}), ("add", {"a": "two"})]),
            Turn("I could not."),
        ],
    )
    with MCPClient(server) as mcp:
        assert Agent(client, mcp_client=mcp).run("go") == "I could not."
    boom, add = tool_messages(client.messages)
    assert "failed on purpose" in boom
    assert '"two" is not of type "integer"' in add and "Call add again" in add


def test_python_tools_win_a_name_collision(server: Any) -> None:
    @tool
    def add(a: int, b: int = 2) -> int:
        """Add, locally."""
        return 1000 + a + b

    client = aimu_core.client(
        "scripted:scripted",
        script=[Turn(tool_calls=[("add", {"a": 1})]), Turn("done")],
        tools=[add],
    )
    with MCPClient(server) as mcp:
        Agent(client, mcp_client=mcp).run("add")
    assert tool_messages(client.messages) == ["1003"]
    names = [t["function"]["name"] for t in client.requests[0]["tools"]]
    assert names.count("add") == 1


def test_as_tools_work_as_agent_tools_with_python_tools(server: Any) -> None:
    @tool
    def shout(text: str) -> str:
        """Upper-case the text."""
        return text.upper()

    client = aimu_core.client(
        "scripted:scripted",
        script=[Turn(tool_calls=[("echo", {"text": "a"}), ("shout", {"text": "b"})]), "ok"],
    )
    with MCPClient(server) as mcp:
        agent = Agent(client, tools=[*mcp.as_tools(), shout])
        assert agent.run("go") == "ok"
        assert tool_messages(client.messages) == ["a", "B"]
        # an MCP tool left out of the call keeps the server's default
        client.script.add(Turn(tool_calls=[("add", {"a": 1})]), "three")
        agent.run("again")
        assert tool_messages(client.messages)[-1] == "3"


def test_a_server_dying_mid_run_raises_and_leaves_the_conversation_unchanged(
    stdio_command: list[str],
) -> None:
    client = aimu_core.client(
        "scripted:scripted",
        script=[Turn("hello"), Turn(tool_calls=[("add", {"a": 1}), ("die", {})]), "never"],
    )
    with MCPClient(stdio_command) as mcp:
        agent = Agent(client, mcp_client=mcp)
        agent.run("first")
        before = json.dumps(client.messages)
        with pytest.raises(ToolServerError, match="'die'"):
            agent.run("second")
        assert json.dumps(client.messages) == before


def test_the_async_agent_calls_mcp_tools_concurrently(stdio_command: list[str]) -> None:
    async def main() -> tuple[str, list[str]]:
        client = aimu_core.aio.client(
            "scripted:scripted",
            script=[
                Turn(tool_calls=[("slow", {"seconds": 0.3}), ("add", {"a": 4}), ("pid", {})]),
                "all done",
            ],
        )
        async with MCPClient(stdio_command) as mcp:
            agent = aimu_core.aio.Agent(client, mcp_client=mcp)
            answer = await agent.run("go")
            pid = await mcp.acall_tool("pid")
        assert tool_messages(client.messages)[2] == pid
        return answer, tool_messages(client.messages)

    answer, results = asyncio.run(main())
    assert answer == "all done"
    assert results[:2] == ["done", "6"]


def test_the_async_agent_rolls_back_when_the_server_dies(server: Any) -> None:
    async def main() -> None:
        client = aimu_core.aio.client(
            "scripted:scripted",
            script=[Turn(tool_calls=[("add", {"a": 1}), ("boom", {})]), "ok"],
        )
        async with MCPClient(server) as mcp:
            agent = aimu_core.aio.Agent(client, mcp_client=mcp)
            assert await agent.run("go") == "ok"
        # The client is closed now: its server is gone for good.
        client.script.add(Turn(tool_calls=[("add", {"a": 1}), ("echo", {"text": "x"})]), "no")
        before = json.dumps(client.messages)
        with pytest.raises(Exception, match="closed"):
            await agent.run("again")
        assert json.dumps(client.messages) == before

    asyncio.run(main())


def test_the_client_option_offers_the_tools_without_an_agent(server: Any) -> None:
    with MCPClient(server) as mcp:
        client = aimu_core.client(
            "scripted:scripted",
            script=[Turn(tool_calls=[("add", {"a": 5, "b": 5})]), "ten"],
            mcp_client=mcp,
        )
        assert client.chat("5 + 5?") == "ten"
        assert tool_messages(client.messages) == ["10"]
