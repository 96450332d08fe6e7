"""One client shared by threads, tasks and unfinished streams: ``messages`` stays whole.

The contract (``aimu_core.models.conversation``): turns are serialized; a
newer call from the holder of an unfinished stream settles (rolls back) that
stream; a turn only removes what it added; hitting the tool-round limit never
leaves unanswered tool calls behind.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

import aimu_core
from aimu_core import aio
from aimu_core.errors import ConcurrentUseError, DegenerateTurnError, ProviderError
from aimu_core.testing import Turn

THREADS, CALLS = 8, 50
TASKS, TASK_CALLS = 20, 20


def script(count: int) -> list[Turn | str]:
    """Replies r0, r1, ... with every seventh request failing."""
    return [Turn(fail="server_error") if k % 7 == 3 else f"r{k}" for k in range(count)]


def failing(count: int) -> int:
    return len([k for k in range(count) if k % 7 == 3])


def assert_whole(messages: list[dict[str, Any]], answered: dict[str, str]) -> None:
    """History is exactly the successful turns, each user message followed by its own reply."""
    assert len(messages) == 2 * len(answered)
    pairs = list(zip(messages[::2], messages[1::2], strict=True))
    for user, reply in pairs:
        assert user["role"] == "user" and reply["role"] == "assistant"
        assert answered[user["content"]] == reply["content"]
    assert {user["content"] for user, _ in pairs} == set(answered)


def test_threads_sharing_a_client_keep_each_turn_whole() -> None:
    client = aimu_core.client("scripted:scripted", script=script(THREADS * CALLS))
    answered: dict[str, str] = {}
    failures: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        for call in range(CALLS):
            text = f"t{index}-{call}"
            try:
                if call % 2:
                    chunks = list(client.chat(text, stream=True))
                    reply = chunks[-1].content["text"]
                else:
                    reply = client.chat(text)
            except ProviderError:
                with lock:
                    failures.append(text)
                continue
            with lock:
                answered[text] = reply

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(failures) == failing(THREADS * CALLS)
    assert_whole(client.messages, answered)


def test_tasks_sharing_an_async_client_keep_each_turn_whole() -> None:
    client = aio.client("scripted:scripted", script=script(TASKS * TASK_CALLS))
    answered: dict[str, str] = {}

    async def worker(index: int) -> None:
        for call in range(TASK_CALLS):
            text = f"a{index}-{call}"
            try:
                if call % 2:
                    reply = ""
                    async for chunk in await client.chat(text, stream=True):
                        reply = chunk.content["text"] if chunk.phase == "done" else reply
                else:
                    reply = await client.chat(text)
            except ProviderError:
                continue
            answered[text] = reply

    async def main() -> None:
        async with asyncio.TaskGroup() as group:
            for index in range(TASKS):
                group.create_task(worker(index))

    asyncio.run(main())
    assert len(answered) == TASKS * TASK_CALLS - failing(TASKS * TASK_CALLS)
    assert_whole(client.messages, answered)


def test_a_kept_unfinished_stream_is_settled_by_the_next_call() -> None:
    client = aimu_core.client("scripted:scripted", script=["one-one-one", "two", "three"])
    stale = client.chat("one", stream=True)
    next(stale)  # read part of it, keep the iterator
    assert client.chat("two") == "two"
    # the stale user message was not sent with the next request
    assert [m["content"] for m in client.requests[-1]["messages"]] == ["two"]
    assert client.chat("three") == "three"
    with pytest.raises(ConcurrentUseError, match="settled"):
        list(stale)
    stale.close()
    del stale
    assert [m["content"] for m in client.messages] == ["two", "two", "three", "three"]


def test_an_async_stream_kept_by_the_same_task_is_settled() -> None:
    client = aio.client("scripted:scripted", script=["one-one-one", "two"])

    async def main() -> None:
        stale = await client.chat("one", stream=True)
        await stale.__anext__()
        assert await client.chat("two") == "two"
        with pytest.raises(ConcurrentUseError):
            async for _ in stale:
                pass
        await stale.aclose()

    asyncio.run(main())
    assert [m["content"] for m in client.messages] == ["two", "two"]


def test_a_stream_left_behind_by_a_finished_event_loop_is_settled() -> None:
    client = aio.client("scripted:scripted", script=["one-one-one", "two"])
    kept: list[Any] = []

    async def start() -> None:
        stream = await client.chat("one", stream=True)
        await stream.__anext__()
        kept.append(stream)  # the loop ends with the stream unfinished

    asyncio.run(start())
    assert asyncio.run(client.chat("two")) == "two"
    assert [m["content"] for m in client.messages] == ["two", "two"]


def test_a_tool_calling_its_own_client_is_refused_not_deadlocked() -> None:
    client: Any = None

    @aimu_core.tool
    def ask_myself(question: str) -> str:
        """Ask the same client (a mistake)."""
        return client.chat(question)

    client = aimu_core.client(
        "scripted:scripted",
        script=[Turn(tool_calls=[("ask_myself", {"question": "loop?"})]), "done"],
        tools=[ask_myself],
    )
    assert client.chat("go") == "done"
    tool_message = next(m for m in client.messages if m["role"] == "tool")
    assert "ConcurrentUseError" in tool_message["content"]
    assert [m["role"] for m in client.messages] == ["user", "assistant", "tool", "assistant"]


@aimu_core.tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def test_tool_calls_at_the_round_limit_raise_and_leave_no_dangling_calls() -> None:
    client = aimu_core.client(
        "scripted:scripted",
        script=[Turn(tool_calls=[("add", {"a": 1, "b": 1})])] * 3 + ["fine"],
        tools=[add],
    )
    client.max_tool_rounds = 2
    before = list(client.messages)
    with pytest.raises(DegenerateTurnError, match="max_tool_rounds"):
        client.chat("loop forever")
    assert client.messages == before
    assert client.chat("next") == "fine"  # the next call works
    assert not any(m.get("tool_calls") for m in client.messages)


def test_an_answer_with_calls_at_the_limit_keeps_the_answer_only() -> None:
    client = aimu_core.client(
        "scripted:scripted",
        script=[
            Turn(tool_calls=[("add", {"a": 1, "b": 1})]),
            Turn("enough", tool_calls=[("add", {"a": 2, "b": 2})]),
        ],
        tools=[add],
    )
    client.max_tool_rounds = 1
    assert client.chat("go") == "enough"
    assert client.messages[-1] == {"role": "assistant", "content": "enough"}


def test_forked_clients_take_turns_independently() -> None:
    # Workflows fork one client per step or worker (agents/_clients.fork_client); a
    # fork is a conversation of its own, so it must not wait on its source's turn.
    from aimu_core.agents._clients import fork_client

    source = aimu_core.client("scripted:scripted", script=["one-one-one"])
    fork = fork_client(source)
    held = source.chat("one", stream=True)
    next(held)  # the source's turn is open in this thread
    answers: list[str] = []
    worker = threading.Thread(target=lambda: answers.append(fork.chat("from the fork")))
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive() and answers == ["from the fork"]
    held.close()
    assert source.messages == [] and [m["content"] for m in fork.messages] == ["from the fork"] * 2
