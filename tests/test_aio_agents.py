"""The async runners: the same behaviour as the sync ones, scenario by scenario, plus what only
``aimu_core.aio`` does (a TaskGroup fan-out, concurrent tool calls)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from types import SimpleNamespace
from typing import Any

import pydantic
import pytest

import aimu_core
from aimu_core import agents, aio
from aimu_core.errors import ConfigurationError, RoutingError
from aimu_core.models import Phase, StreamChunk
from aimu_core.testing import Turn
from aimu_core.tools import tool


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def explode(reason: str) -> str:
    """A tool that always fails."""
    raise RuntimeError(f"boom: {reason}")


def surface(module: Any, factory: Callable[..., Any]) -> SimpleNamespace:
    def client(*turns: Turn | str, **options: Any) -> Any:
        return factory("scripted:scripted", script=list(turns), **options)

    return SimpleNamespace(
        client=client,
        **{name: getattr(module, name) for name in agents.__all__ if hasattr(module, name)},
    )


SYNC = surface(agents, aimu_core.client)
ASYNC = surface(aio, aio.client)


class Review(pydantic.BaseModel):
    passed: bool
    feedback: str


# Each scenario builds a runner from a surface (SYNC or ASYNC) and returns (runner, task).
SCENARIOS: dict[str, Callable[[SimpleNamespace], tuple[Any, str]]] = {
    "agent": lambda s: (
        s.Agent(
            s.client(
                Turn(
                    thinking="add first",
                    tool_calls=[("add", {"a": 2, "b": 3}), ("add", {"a": "x", "b": 1})],
                ),
                Turn(tool_calls=[("explode", {"reason": "why"})]),
                Turn("It is 5.", thinking="done"),
            ),
            "You add.",
            tools=[add, explode],
            name="math",
        ),
        "2+3?",
    ),
    "agent-at-the-limit": lambda s: (
        s.Agent(
            s.client(
                Turn(tool_calls=[("add", {"a": 1, "b": 1})]),
                Turn("final", tool_calls=[("add", {"a": 1, "b": 2})]),
            ),
            tools=[add],
            max_iterations=1,
        ),
        "go",
    ),
    "orchestrator": lambda s: (
        s.OrchestratorAgent(
            s.client(
                Turn(tool_calls=[("w1", {"task": "part one"}), ("w2", {"task": "part two"})]),
                "both done",
            ),
            [s.Agent(s.client("one"), name="w1"), s.Agent(s.client("two"), name="w2")],
        ),
        "do it",
    ),
    "chain": lambda s: (
        s.Chain([s.client(Turn("outline", thinking="hmm")), s.client("draft"), s.client("final")]),
        "owls",
    ),
    "chain-from-client": lambda s: (s.Chain.from_client(s.client(), ["a", "b"]), "echo me"),
    "router": lambda s: (
        s.Router(s.client(" Tech "), {"billing": s.client("refund"), "tech": s.client("reboot")}),
        "it crashed",
    ),
    "router-fallback": lambda s: (
        s.Router(s.client("weather"), {"billing": s.client()}, fallback=s.client("dunno")),
        "rain?",
    ),
    "parallel": lambda s: (
        s.Parallel([s.client("a"), s.client(Turn("b", thinking="think b")), s.client("c")]),
        "q",
    ),
    "parallel-aggregated": lambda s: (
        s.Parallel.from_client(s.client(), ["x", "y"], aggregator="Merge."),
        "q",
    ),
    "evaluator-optimizer": lambda s: (
        s.EvaluatorOptimizer(s.client("d1", "d2"), s.client("more detail", "PASS")),
        "explain",
    ),
    "evaluator-optimizer-typed": lambda s: (
        s.EvaluatorOptimizer(
            s.client("d1", "d2", "d3"),
            s.client(
                '{"passed": false, "feedback": "f1"}', "nope", '{"passed": false, "feedback": "f3"}'
            ),
            verdict_schema=Review,
            max_rounds=3,
        ),
        "explain",
    ),
    "plan-execute-evaluator": lambda s: (
        s.PlanExecuteEvaluator(
            s.client("## Plan\n1. x\n## Evaluation criteria\n- y", "1. better"),
            s.client("out1", "out2"),
            s.client("Score: 3/10 weak", "Score: 8/10"),
        ),
        "task",
    ),
}


def run_sync(runner: Any, task: str, stream: bool) -> Any:
    result = runner.run(task, stream=stream)
    return list(result) if stream else result


async def _collect(stream: AsyncIterator[StreamChunk]) -> list[StreamChunk]:
    return [chunk async for chunk in stream]


def run_async(runner: Any, task: str, stream: bool) -> Any:
    async def go() -> Any:
        result = await runner.run(task, stream=stream)
        return await _collect(result) if stream else result

    return asyncio.run(go())


def comparable(chunks: list[StreamChunk]) -> list[tuple[Any, ...]]:
    """Chunks in a surface-independent order: by iteration (parallel workers interleave freely)."""
    rows = [
        (c.iteration, c.phase.value, c.agent, json.dumps(c.content, sort_keys=True)) for c in chunks
    ]
    return sorted(rows, key=lambda row: row[0])


def state(runner: Any) -> dict[str, Any]:
    extra = {}
    for attribute in ("last_route", "last_passed", "last_criteria"):
        if hasattr(runner, attribute):
            extra[attribute] = getattr(runner, attribute)
    if hasattr(runner, "last_attempts"):
        extra["attempts"] = [vars(a) for a in runner.last_attempts]
    if hasattr(runner, "last_rounds"):
        extra["rounds"] = [(r.draft, r.critique, r.passed, r.feedback) for r in runner.last_rounds]
    return {"messages": json.loads(json.dumps(runner.messages)), **extra}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_sync_and_async_runners_behave_the_same(scenario: str) -> None:
    build = SCENARIOS[scenario]
    sync_runner, task = build(SYNC)
    async_runner, _ = build(ASYNC)
    assert type(async_runner).__name__ == f"Async{type(sync_runner).__name__}"
    assert run_sync(sync_runner, task, False) == run_async(async_runner, task, False)
    assert state(sync_runner) == state(async_runner)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_sync_and_async_streams_are_the_same(scenario: str) -> None:
    build = SCENARIOS[scenario]
    sync_runner, task = build(SYNC)
    async_runner, _ = build(ASYNC)
    sync_chunks = run_sync(sync_runner, task, True)
    async_chunks = run_async(async_runner, task, True)
    assert comparable(sync_chunks) == comparable(async_chunks)
    assert sync_chunks[-1] == async_chunks[-1] and sync_chunks[-1].phase is Phase.DONE
    assert sum(c.phase is Phase.DONE for c in async_chunks) == 1
    assert all(c.agent for c in async_chunks)
    assert state(sync_runner) == state(async_runner)


def test_async_routing_error_and_restore_match_sync() -> None:
    with pytest.raises(RoutingError):
        run_async(aio.Router(ASYNC.client("none"), {"a": ASYNC.client()}), "x", False)

    runner, task = SCENARIOS["orchestrator"](ASYNC)
    run_async(runner, task, False)
    saved = json.loads(json.dumps(runner.messages))
    again = aio.OrchestratorAgent(
        ASYNC.client("continuing"),
        [aio.Agent(ASYNC.client(), name="w1"), aio.Agent(ASYNC.client(), name="w2")],
    )
    again.restore(saved)
    assert again.messages == saved
    assert run_async(again, "and then?", False) == "continuing"
    assert [m["role"] for m in again.client.requests[-1]["messages"]][-2:] == ["assistant", "user"]


# -- what only the async surface does --------------------------------------------------------------


class Waiter(aio.Runner):
    """A user-written async runner: finishes after *after* is set; records a cancellation."""

    def __init__(self, name: str, after: asyncio.Event | None = None, fail: bool = False) -> None:
        self.name = name
        self.after = after
        self.fail = fail
        self.finished = asyncio.Event()
        self.cancelled = False

    async def run(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
        images: Iterable[Any] | None = None,
    ) -> Any:
        if self.fail:
            raise ValueError(f"{self.name} failed")
        try:
            if self.after is not None:
                await self.after.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        self.finished.set()
        text = f"{self.name}:{task}"
        if stream:
            return _chunks(
                [StreamChunk(Phase.GENERATING, text), StreamChunk(Phase.DONE, {"text": text})]
            )
        return text

    @property
    def messages(self) -> dict[str, list[dict[str, Any]]]:
        return {}


async def _chunks(items: list[StreamChunk]) -> AsyncIterator[StreamChunk]:
    for item in items:
        yield item


def test_async_parallel_is_concurrent_and_ordered() -> None:
    async def go() -> tuple[str, list[StreamChunk]]:
        def workers() -> list[Waiter]:
            w2 = Waiter("w2")
            w1 = Waiter("w1", after=w2.finished)
            return [Waiter("w0", after=w1.finished), w1, w2]

        result = await aio.Parallel(workers(), separator=",").run("t")
        chunks = await _collect(await aio.Parallel(workers()).run("t", stream=True))
        return result, chunks

    result, chunks = asyncio.run(go())
    assert result == "w0:t,w1:t,w2:t"
    assert [(c.agent, c.iteration) for c in chunks[:-1]] == [
        ("w2", 2),
        ("w1", 1),
        ("w0", 0),
    ]  # as they came
    assert chunks[-1].content["text"] == "w0:t\n\nw1:t\n\nw2:t"


def test_async_parallel_cancels_siblings_and_groups_failures() -> None:
    stuck = Waiter("stuck", after=None)

    async def go(stream: bool) -> None:
        stuck.after = asyncio.Event()  # never set
        parallel = aio.Parallel([stuck, Waiter("bad", fail=True), Waiter("bad2", fail=True)])
        if stream:
            await _collect(await parallel.run("t", stream=True))
        else:
            await parallel.run("t")

    for stream in (False, True):
        stuck.cancelled = False
        with pytest.raises(ExceptionGroup) as info:
            asyncio.run(go(stream))
        assert sorted(str(e) for e in info.value.exceptions) == ["bad failed", "bad2 failed"]
        assert "2 of 3 workers of Parallel 'parallel' failed" in str(info.value)
        assert stuck.cancelled


def test_async_parallel_stream_abandoned_cancels_workers() -> None:
    async def go() -> Waiter:
        gate = asyncio.Event()
        slow = Waiter("slow", after=gate)
        stream = await aio.Parallel([Waiter("fast"), slow]).run("t", stream=True)
        first = await stream.__anext__()
        assert first.agent == "fast"
        await stream.aclose()
        return slow

    assert asyncio.run(go()).cancelled


def test_async_tool_calls_of_one_turn_run_concurrently() -> None:
    @tool
    async def wait_for(name: str) -> str:
        """Wait until both calls are in flight."""
        arrived.append(name)
        while len(arrived) < 2:
            await asyncio.sleep(0)
        return f"{name} ok"

    arrived: list[str] = []
    agent = aio.Agent(
        ASYNC.client(
            Turn(tool_calls=[("wait_for", {"name": "a"}), ("wait_for", {"name": "b"})]), "both"
        ),
        tools=[wait_for],
    )

    async def go() -> Any:
        return await asyncio.wait_for(agent.run("t"), timeout=30)

    assert asyncio.run(go()) == "both"
    assert [m["content"] for m in agent.messages["agent"] if m["role"] == "tool"] == [
        "a ok",
        "b ok",
    ]


def test_async_as_tool_serializes_calls_to_one_runner() -> None:
    worker = aio.Agent(ASYNC.client("first", "second"), name="worker")
    fn = worker.as_tool()
    assert asyncio.iscoroutinefunction(fn)
    boss = aio.Agent(
        ASYNC.client(
            Turn(tool_calls=[("worker", {"task": "one"}), ("worker", {"task": "two"})]), "ok"
        ),
        tools=[fn],
    )
    assert asyncio.run(boss.run("t")) == "ok"
    # Two concurrent calls, one conversation: they took turns rather than interleaving.
    assert [m["role"] for m in worker.messages["worker"]] == [
        "user",
        "assistant",
        "user",
        "assistant",
    ]


def test_async_agent_abandoned_stream_rolls_back_and_surfaces_do_not_mix() -> None:
    async def go() -> tuple[str, str]:
        agent = aio.Agent(ASYNC.client("first", "a long second answer"))
        await agent.run("first")
        before = json.dumps(agent.messages)
        stream = await agent.run("second", stream=True)
        await stream.__anext__()
        await stream.aclose()
        return before, json.dumps(agent.messages)

    before, after = asyncio.run(go())
    assert before == after
    with pytest.raises(ConfigurationError, match=r"aimu_core\.aio\.client"):
        aio.Agent(SYNC.client())
    with pytest.raises(ConfigurationError, match=r"aimu_core\.agents runner"):
        aio.Parallel([agents.Agent(SYNC.client())])
