"""Agent controls: tool_approval, deps through ToolContext, concurrent_tool_calls, max_iterations.

Sync and async, on the scripted model. Concurrency is shown without timing:
the tools meet at a barrier only two calls running at once can pass.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

import aimu_core
from aimu_core import aio
from aimu_core.agents import Agent
from aimu_core.errors import ConfigurationError
from aimu_core.testing import Turn
from aimu_core.tools import ToolContext, tool, tool_spec


@tool
def delete_file(path: str) -> str:
    """Delete a file.

    Args:
        path: the file.
    """
    return f"deleted {path}"


@tool
def whoami(ctx: ToolContext[dict[str, str]], greeting: str = "hi") -> str:
    """Say who the user is.

    Args:
        greeting: how to greet.
    """
    return f"{greeting} {ctx.deps['user']} ({ctx.tool_name}, {ctx.call_id})"


def _turns(*calls: tuple[str, dict[str, Any]], answer: str = "ok") -> list[Turn | str]:
    return [Turn(tool_calls=list(calls)), answer]


def _tool_messages(messages: list[dict[str, Any]]) -> list[str]:
    return [m["content"] for m in messages if m["role"] == "tool"]


# -- tool_approval -----------------------------------------------------------------------


def test_refused_calls_become_tool_messages_the_model_sees() -> None:
    asked: list[tuple[str, dict[str, Any]]] = []

    def approve(name: str, arguments: dict[str, Any]) -> bool | str:
        asked.append((name, arguments))
        if arguments["path"] == "/etc/passwd":
            return "system files are off limits"
        return arguments["path"].startswith("tmp/")

    client = aimu_core.client(
        "scripted:scripted",
        script=_turns(
            ("delete_file", {"path": "tmp/a"}),
            ("delete_file", {"path": "home/b"}),
            ("delete_file", {"path": "/etc/passwd"}),
        ),
    )
    agent = Agent(client, tools=[delete_file], tool_approval=approve)
    chunks = list(agent.run("clean up", stream=True))
    assert [a["path"] for _, a in asked] == ["tmp/a", "home/b", "/etc/passwd"]
    assert _tool_messages(client.messages) == [
        "deleted tmp/a",
        "Error: the call to delete_file was refused. Do not call it again this way.",
        "Error: the call to delete_file was refused: system files are off limits",
    ]
    refused = [c.content.get("refused", False) for c in chunks if c.phase == "tool_calling"]
    assert refused == [False, True, True]
    # the model's next request carries the refusals
    assert _tool_messages(client.requests[1]["messages"])[1].startswith("Error: the call")


def test_an_approval_that_raises_ends_the_run_and_rolls_back() -> None:
    def approve(name: str, arguments: dict[str, Any]) -> bool:
        raise RuntimeError("approval service down")

    client = aimu_core.client("scripted:scripted", script=_turns(("delete_file", {"path": "x"})))
    agent = Agent(client, tools=[delete_file], tool_approval=approve)
    with pytest.raises(RuntimeError, match="approval service down"):
        agent.run("go")
    assert client.messages == []


def test_an_approval_must_answer_yes_no_or_a_reason() -> None:
    client = aimu_core.client("scripted:scripted", script=_turns(("delete_file", {"path": "x"})))
    Agent(client, tools=[delete_file], tool_approval=lambda name, args: 1)
    with pytest.raises(TypeError, match="True, False or a reason"):
        client.chat("go")
    with pytest.raises(ConfigurationError, match="callable"):
        Agent(client, tool_approval="yes")  # type: ignore[arg-type]


def test_async_approval_may_be_a_coroutine() -> None:
    async def approve(name: str, arguments: dict[str, Any]) -> bool:
        await asyncio.sleep(0)
        return arguments["path"] != "keep"

    async def run() -> list[str]:
        client = aio.client(
            "scripted:scripted",
            script=_turns(("delete_file", {"path": "keep"}), ("delete_file", {"path": "junk"})),
        )
        agent = aio.Agent(client, tools=[delete_file], tool_approval=approve)
        assert await agent.run("tidy") == "ok"
        return _tool_messages(client.messages)

    assert asyncio.run(run()) == [
        "Error: the call to delete_file was refused. Do not call it again this way.",
        "deleted junk",
    ]


def test_a_sync_client_runs_a_coroutine_approval_too() -> None:
    async def approve(name: str, arguments: dict[str, Any]) -> bool:
        return False

    client = aimu_core.client("scripted:scripted", script=_turns(("delete_file", {"path": "x"})))
    Agent(client, tools=[delete_file], tool_approval=approve).run("go")
    assert _tool_messages(client.messages)[0].startswith("Error: the call to delete_file was")


# -- deps and ToolContext -------------------------------------------------------------


def test_deps_reach_tools_through_tool_context_and_never_the_schema() -> None:
    spec = tool_spec(whoami)["function"]["parameters"]
    assert set(spec["properties"]) == {"greeting"} and "ctx" not in str(spec)
    client = aimu_core.client("scripted:scripted", script=_turns(("whoami", {"greeting": "hello"})))
    Agent(client, tools=[whoami], deps={"user": "Ada"}).run("who am I?")
    assert _tool_messages(client.messages) == ["hello Ada (whoami, call_0)"]


def test_a_model_cannot_forge_the_context() -> None:
    client = aimu_core.client(
        "scripted:scripted", script=_turns(("whoami", {"ctx": {"deps": {"user": "Mallory"}}}))
    )
    Agent(client, tools=[whoami], deps={"user": "Ada"}).run("who am I?")
    (message,) = _tool_messages(client.messages)
    assert message.startswith("Error: bad arguments for tool whoami: ctx: Extra inputs")


def test_async_deps_reach_sync_and_coroutine_tools() -> None:
    @tool
    async def account(ctx: ToolContext[dict[str, str]]) -> str:
        """The user's account."""
        await asyncio.sleep(0)
        return f"account of {ctx.deps['user']}"

    async def run() -> list[str]:
        client = aio.client("scripted:scripted", script=_turns(("account", {}), ("whoami", {})))
        await aio.Agent(client, tools=[account, whoami], deps={"user": "Ada"}).run("me")
        return _tool_messages(client.messages)

    assert asyncio.run(run()) == ["account of Ada", "hi Ada (whoami, call_1)"]


def test_without_deps_the_context_holds_none() -> None:
    @tool
    def peek(ctx: ToolContext[Any]) -> str:
        """Peek."""
        return repr(ctx.deps)

    client = aimu_core.client("scripted:scripted", script=_turns(("peek", {})), tools=[peek])
    client.chat("peek")
    assert _tool_messages(client.messages) == ["None"]


# -- concurrent_tool_calls ----------------------------------------------------------------


def _meeting_tools() -> tuple[Any, list[str]]:
    """``meet(label)``: passes only when two calls wait at once (else times out)."""
    barrier = threading.Barrier(2, timeout=10)
    order: list[str] = []

    @tool
    def meet(label: str) -> str:
        """Meet.

        Args:
            label: who.
        """
        barrier.wait()
        order.append(label)
        return f"met {label}"

    return meet, order


def test_sync_concurrent_tool_calls_run_on_threads_and_answer_in_call_order() -> None:
    meet, _ = _meeting_tools()
    client = aimu_core.client(
        "scripted:scripted",
        script=_turns(("meet", {"label": "a"}), ("meet", {"label": "b"})),
    )
    agent = Agent(client, tools=[meet], concurrent_tool_calls=True)
    assert client.concurrent_tool_calls is True
    chunks = list(agent.run("meet up", stream=True))
    assert [c.content["response"] for c in chunks if c.phase == "tool_calling"] == [
        "met a",
        "met b",
    ]
    assert _tool_messages(client.messages) == ["met a", "met b"]


def test_sync_tool_calls_run_one_by_one_by_default() -> None:
    threads: list[int] = []

    @tool
    def where(n: int) -> int:
        """Where.

        Args:
            n: a number.
        """
        threads.append(threading.get_ident())
        return n

    client = aimu_core.client(
        "scripted:scripted", script=_turns(("where", {"n": 1}), ("where", {"n": 2}))
    )
    Agent(client, tools=[where]).run("go")
    assert threads == [threading.get_ident()] * 2


def test_async_concurrent_tool_calls_use_a_task_group_and_keep_call_order() -> None:
    async def run(concurrent: bool) -> list[str]:
        wait = 10 if concurrent else 0.5  # only the sequential run waits this out
        arrived = 0
        both = asyncio.Event()

        @tool
        async def meet(label: str) -> str:
            """Meet.

            Args:
                label: who.
            """
            nonlocal arrived
            arrived += 1
            if arrived == 2:
                both.set()
            await asyncio.wait_for(both.wait(), timeout=wait)
            return f"met {label}"

        client = aio.client(
            "scripted:scripted",
            script=_turns(("meet", {"label": "a"}), ("meet", {"label": "b"})),
        )
        agent = aio.Agent(client, tools=[meet], concurrent_tool_calls=concurrent)
        await agent.run("meet")
        return _tool_messages(client.messages)

    assert asyncio.run(run(True)) == ["met a", "met b"]
    # one by one, the first call waits for a second that never comes
    assert asyncio.run(run(False))[0] == "Error: tool meet raised TimeoutError: "


def test_a_failing_concurrent_call_is_a_message_and_the_others_still_answer() -> None:
    @tool
    def flaky(n: int) -> str:
        """Flaky.

        Args:
            n: a number.
        """
        if n == 2:
            raise ValueError("two is bad")
        return str(n)

    client = aimu_core.client(
        "scripted:scripted",
        script=_turns(*[("flaky", {"n": n}) for n in range(1, 5)]),
    )
    Agent(client, tools=[flaky], concurrent_tool_calls=True).run("go")
    assert _tool_messages(client.messages) == [
        "1",
        "Error: tool flaky raised ValueError: two is bad",
        "3",
        "4",
    ]


# -- max_iterations -------------------------------------------------------------------------


@pytest.mark.parametrize("asynchronous", [False, True])
def test_max_iterations_bounds_the_tool_rounds(asynchronous: bool) -> None:
    script = [Turn(tool_calls=[("delete_file", {"path": str(i)})]) for i in range(2)]
    script.append(Turn("gave up", tool_calls=[("delete_file", {"path": "2"})]))
    if asynchronous:

        async def run() -> tuple[str, Any]:
            client = aio.client("scripted:scripted", script=script)
            agent = aio.Agent(client, tools=[delete_file], max_iterations=2)
            return await agent.run("go"), client

        answer, client = asyncio.run(run())
    else:
        client = aimu_core.client("scripted:scripted", script=script)
        answer = Agent(client, tools=[delete_file], max_iterations=2).run("go")
    # two rounds ran tools; the third request offered none (a tool call there is dropped)
    assert len(client.requests) == 3 and client.requests[2]["tools"] == []
    assert _tool_messages(client.messages) == ["deleted 0", "deleted 1"]
    assert answer == "gave up" and "tool_calls" not in client.messages[-1]


def test_a_concurrent_tool_calling_its_own_client_is_refused_not_deadlocked() -> None:
    client = aimu_core.client(
        "scripted:scripted",
        script=_turns(("recurse", {"n": 1}), ("recurse", {"n": 2})),
    )

    @tool
    def recurse(n: int) -> str:
        """Ask the model again.

        Args:
            n: a number.
        """
        return str(client.chat("nested"))

    Agent(client, tools=[recurse], concurrent_tool_calls=True)
    worker = threading.Thread(target=client.chat, args=("go",), daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "a tool calling its own client deadlocked"
    assert [m.split(":")[0] for m in _tool_messages(client.messages)] == [
        "Error",
        "Error",
    ]
    assert "ConcurrentUseError" in _tool_messages(client.messages)[0]


def test_an_async_tool_task_calling_its_own_client_is_refused_not_deadlocked() -> None:
    async def run() -> list[str]:
        client = aio.client(
            "scripted:scripted", script=_turns(("recurse", {"n": 1}), ("recurse", {"n": 2}))
        )

        @tool
        async def recurse(n: int) -> str:
            """Ask the model again.

            Args:
                n: a number.
            """
            return str(await client.chat("nested"))

        aio.Agent(client, tools=[recurse])
        await asyncio.wait_for(client.chat("go"), timeout=30)
        return _tool_messages(client.messages)

    messages = asyncio.run(run())
    assert len(messages) == 2 and all("ConcurrentUseError" in m for m in messages)


def test_with_concurrent_calls_approvals_are_asked_in_order_one_at_a_time() -> None:
    meet, _ = _meeting_tools()
    asked: list[str] = []
    busy = threading.Lock()

    def approve(name: str, arguments: dict[str, Any]) -> bool:
        assert busy.acquire(blocking=False), "two approvals were asked at once"
        try:
            asked.append(arguments["label"])
            return arguments["label"] != "c"
        finally:
            busy.release()

    client = aimu_core.client(
        "scripted:scripted",
        script=_turns(*[("meet", {"label": label}) for label in "abc"]),
    )
    Agent(client, tools=[meet], tool_approval=approve, concurrent_tool_calls=True).run("go")
    assert asked == ["a", "b", "c"]
    # a and b met at the barrier (they ran at once); c was refused and never ran
    assert _tool_messages(client.messages) == [
        "met a",
        "met b",
        "Error: the call to meet was refused. Do not call it again this way.",
    ]


def test_async_concurrent_calls_ask_approvals_in_order_first() -> None:
    async def run() -> tuple[list[str], list[str]]:
        events: list[str] = []

        async def approve(name: str, arguments: dict[str, Any]) -> bool:
            events.append(f"ask {arguments['path']}")
            await asyncio.sleep(0)
            return arguments["path"] != "b"

        @tool
        async def touch(path: str) -> str:
            """Touch.

            Args:
                path: a file.
            """
            events.append(f"run {path}")
            return path

        client = aio.client(
            "scripted:scripted",
            script=_turns(*[("touch", {"path": p}) for p in "abc"]),
        )
        await aio.Agent(client, tools=[touch], tool_approval=approve).run("go")
        return events, _tool_messages(client.messages)

    events, messages = asyncio.run(run())
    assert events[:3] == ["ask a", "ask b", "ask c"]
    assert sorted(events[3:]) == ["run a", "run c"]
    assert messages[0] == "a" and messages[2] == "c" and messages[1].startswith("Error: the call")
