"""Autonomous runners (Agent, OrchestratorAgent) and the Runner contract, on the scripted model."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

import aimu_core
from aimu_core import aio
from aimu_core.agents import Agent, Chain, OrchestratorAgent, Runner
from aimu_core.errors import ConfigurationError, ProviderError, ToolSignatureError
from aimu_core.models import Phase
from aimu_core.plugins import PluginManager
from aimu_core.records import load_object
from aimu_core.testing import Turn
from aimu_core.testing.conformance import TINY_PNG
from aimu_core.tools import tool


def scripted(*turns: Turn | str, **options: Any) -> Any:
    return aimu_core.client("scripted:scripted", script=list(turns), **options)


@tool
def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: the first.
        b: the second.
    """
    return a + b


@tool
def explode(reason: str) -> str:
    """A tool that always fails."""
    raise RuntimeError(f"boom: {reason}")


def roles(conversation: list[dict[str, Any]]) -> list[str]:
    return [m["role"] for m in conversation]


# -- the tool loop ----------------------------------------------------------------------------


def test_tool_loop_runs_tools_until_the_model_answers() -> None:
    client = scripted(
        Turn(tool_calls=[("add", {"a": 2, "b": 3})]),
        Turn(tool_calls=[("add", {"a": 5, "b": 1})]),
        Turn("It is 6."),
    )
    agent = Agent(client, "You add numbers.", tools=[add], name="math")

    assert agent.run("What is 2+3+1?") == "It is 6."

    conversation = agent.messages["math"]
    assert roles(conversation) == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
        "assistant",
    ]
    assert [m["content"] for m in conversation if m["role"] == "tool"] == ["5", "6"]
    assert len(client.requests) == 3
    assert all(r["tools"] for r in client.requests)  # tools offered while rounds are left
    assert client.requests[1]["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "call_0",
        "name": "add",
        "content": "5",
    }


def test_iteration_limit_ends_with_one_call_without_tools() -> None:
    client = scripted(
        Turn(tool_calls=[("add", {"a": 1, "b": 1})]),
        Turn(tool_calls=[("add", {"a": 2, "b": 2})]),
        # At the limit the model gets no tools; a call it still makes is dropped, not run
        # (a call that is never answered would break every later request).
        Turn("Stopping here.", tool_calls=[("add", {"a": 3, "b": 3})]),
    )
    agent = Agent(client, tools=[add], max_iterations=2)
    assert agent.max_iterations == 2

    assert agent.run("keep adding") == "Stopping here."

    assert len(client.requests) == 3
    assert [bool(r["tools"]) for r in client.requests] == [True, True, False]
    conversation = agent.messages["agent"]
    assert roles(conversation).count("tool") == 2
    assert conversation[-1] == {"role": "assistant", "content": "Stopping here."}


def test_bad_tool_arguments_become_a_message_the_model_reads() -> None:
    client = scripted(
        Turn(tool_calls=[("add", {"a": "two", "b": 3})]), Turn("Sorry, let me fix that.")
    )
    agent = Agent(client, tools=[add])

    assert agent.run("add two and three") == "Sorry, let me fix that."

    tool_message = agent.messages["agent"][-2]
    assert tool_message["role"] == "tool"
    assert tool_message["content"].startswith("Error: bad arguments for tool add: a:")
    assert "Call add again with corrected arguments" in tool_message["content"]
    assert client.requests[1]["messages"][-1]["content"] == tool_message["content"]


def test_a_raising_tool_becomes_a_message_not_a_crash() -> None:
    client = scripted(Turn(tool_calls=[("explode", {"reason": "test"})]), Turn("The tool failed."))
    agent = Agent(client, tools=[explode])

    assert agent.run("try it") == "The tool failed."
    assert (
        agent.messages["agent"][-2]["content"]
        == "Error: tool explode raised RuntimeError: boom: test"
    )


def test_an_unknown_tool_becomes_a_message() -> None:
    client = scripted(Turn(tool_calls=[("nope", {})]), Turn("ok"))
    agent = Agent(client, tools=[add])
    assert agent.run("x") == "ok"
    assert "there is no tool named 'nope'" in agent.messages["agent"][-2]["content"]


def test_stream_chunks_carry_agent_name_and_iteration() -> None:
    client = scripted(
        Turn(thinking="I should add.", tool_calls=[("add", {"a": 2, "b": 3})]),
        Turn("The answer is 5.", thinking="Done."),
    )
    agent = Agent(client, tools=[add], name="math")

    chunks = list(agent.run("2+3?", stream=True))

    assert all(c.agent == "math" for c in chunks)
    assert chunks[-1].phase is Phase.DONE and chunks[-1].iteration == 1
    assert chunks[-1].content["text"] == "The answer is 5."
    by_phase = {(c.phase, c.iteration) for c in chunks}
    assert (Phase.THINKING, 0) in by_phase and (Phase.THINKING, 1) in by_phase
    calls = [c for c in chunks if c.phase is Phase.TOOL_CALLING]
    assert [(c.iteration, dict(c.content)) for c in calls] == [
        (0, {"name": "add", "arguments": {"a": 2, "b": 3}, "response": "5"})
    ]
    answer = [c for c in chunks if c.phase is Phase.GENERATING]
    assert {c.iteration for c in answer} == {1}
    assert "".join(c.content for c in answer) == "The answer is 5."


def test_generate_kwargs_and_images_reach_the_model() -> None:
    client = scripted("I see a pixel.")
    agent = Agent(client)
    assert (
        agent.run("What is this?", generate_kwargs={"temperature": 0.2}, images=[TINY_PNG])
        == "I see a pixel."
    )
    request = client.requests[0]
    assert request["kwargs"]["temperature"] == 0.2
    assert [p["type"] for p in request["messages"][-1]["content"]] == ["text", "image_url"]


# -- conversation state --------------------------------------------------------------------------


def test_a_failed_model_call_leaves_messages_as_before_the_run() -> None:
    client = scripted(
        "first answer", Turn(tool_calls=[("add", {"a": 1, "b": 2})]), Turn(fail="server_error")
    )
    agent = Agent(client, tools=[add])
    agent.run("first")
    before = json.dumps(agent.messages)

    with pytest.raises(ProviderError):
        agent.run("second")
    assert json.dumps(agent.messages) == before


def test_an_abandoned_stream_rolls_the_conversation_back() -> None:
    client = scripted("first answer", "a long second answer")
    agent = Agent(client)
    agent.run("first")
    before = json.dumps(agent.messages)

    stream = agent.run("second", stream=True)
    next(stream)
    stream.close()
    assert json.dumps(agent.messages) == before


def test_history_carries_over_unless_reset_on_run() -> None:
    keeps = Agent(scripted("one", "two"), "sys")
    keeps.run("a")
    keeps.run("b")
    assert roles(keeps.messages["agent"]) == ["system", "user", "assistant", "user", "assistant"]

    fresh = Agent(scripted("one", "two"), "sys", reset_messages_on_run=True)
    fresh.run("a")
    fresh.run("b")
    assert fresh.messages["agent"] == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "b"},
        {"role": "assistant", "content": "two"},
    ]


def test_restore_continues_a_run_after_a_restart() -> None:
    first = Agent(
        scripted(Turn(tool_calls=[("add", {"a": 2, "b": 2})]), "4"),
        "You add.",
        tools=[add],
        name="math",
    )
    first.run("2+2?")
    saved = json.dumps(first.messages)  # what an app writes to disk

    # A new process: same agent definition (its prompt has changed since), a fresh client.
    client = scripted("8")
    second = Agent(client, "You add, carefully.", tools=[add], name="math")
    second.restore(json.loads(saved))
    assert second.run("and doubled?") == "8"

    sent = client.requests[0]["messages"]
    assert roles(sent) == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert sent[0] == {"role": "system", "content": "You add, carefully."}  # current prompt, once
    assert sent[1]["content"] == "2+2?"
    assert second.system_message == "You add, carefully."


def test_restore_rejects_unknown_names_and_malformed_conversations() -> None:
    agent = Agent(scripted(), name="math")
    with pytest.raises(ConfigurationError, match="'other'"):
        agent.restore({"other": []})
    with pytest.raises(ConfigurationError, match="list of OpenAI-format messages"):
        agent.restore({"math": [{"content": "no role"}]})
    with pytest.raises(ConfigurationError, match="dict-by-name"):
        agent.restore([{"role": "user", "content": "x"}])  # type: ignore[arg-type]
    agent.restore({})  # nothing to restore is fine
    assert agent.messages == {"math": []}


def test_messages_are_keyed_by_runner_name() -> None:
    agent = Agent(scripted("hi"), name="greeter")
    agent.run("hello")
    assert list(agent.messages) == ["greeter"]
    assert agent.messages["greeter"] is agent.client.messages


# -- configuration ---------------------------------------------------------------------------------


def test_agent_configures_its_client() -> None:
    client = scripted()
    agent = Agent(client, "sys", tools=[add], max_iterations=4)
    assert client.system_message == "sys" and client.tools == [add] and client.max_tool_rounds == 4
    agent.system_message = "new"
    assert client.messages[0] == {"role": "system", "content": "new"}
    kept = Agent(scripted(system_message="mine", tools=[add]))
    assert kept.system_message == "mine" and kept.tools == [add] and kept.max_iterations == 10


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "3"])
def test_bad_max_iterations(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="max_iterations"):
        Agent(scripted(), max_iterations=value)


def test_agent_rejects_an_async_client_a_bad_tool_and_an_empty_name() -> None:
    with pytest.raises(ConfigurationError, match=r"aimu_core\.client"):
        Agent(aio.client("scripted:scripted"))
    with pytest.raises(ConfigurationError, match="model client"):
        Agent("scripted:scripted")  # type: ignore[arg-type]

    def untyped(x):  # type: ignore[no-untyped-def]
        return x

    with pytest.raises(ToolSignatureError):
        Agent(scripted(), tools=[untyped])
    with pytest.raises(ConfigurationError, match="name"):
        Agent(scripted(), name="")


# -- as_tool and the orchestrator ------------------------------------------------------------------


def test_as_tool_hands_a_task_to_the_runner() -> None:
    inner = Agent(scripted("Paris."), name="geo.expert", description="Answers geography questions")
    fn = inner.as_tool()
    spec = fn.__tool_spec__["function"]  # type: ignore[attr-defined]
    assert spec["name"] == "geo_expert"
    assert spec["description"] == "Answers geography questions"
    assert spec["parameters"]["required"] == ["task"]
    assert spec["parameters"]["properties"]["task"]["type"] == "string"
    assert fn("Capital of France?") == "Paris."

    renamed = inner.as_tool(name="ask", description="Ask it")
    assert renamed.__tool_spec__["function"]["name"] == "ask"  # type: ignore[attr-defined]


def test_any_runner_can_be_an_agents_tool() -> None:
    chain = Chain([scripted("draft"), scripted("polished")], name="writer")
    outer_client = scripted(Turn(tool_calls=[("writer", {"task": "write a line"})]), "Here it is.")
    outer = Agent(outer_client, tools=[chain.as_tool()])

    assert outer.run("get me a line") == "Here it is."
    assert outer.messages["agent"][-2]["content"] == "polished"
    assert set(outer.messages) == {"agent"}  # a tool's runner is not the agent's member


def test_orchestrator_delegates_to_its_workers() -> None:
    researcher = Agent(
        scripted("Paris is the capital."), name="researcher", description="Looks facts up"
    )
    translator = Agent(scripted("Bonjour"), name="translator", description="Translates to French")
    boss = scripted(
        Turn(
            tool_calls=[
                ("researcher", {"task": "Capital of France?"}),
                ("translator", {"task": "hello"}),
            ]
        ),
        "Paris. Bonjour!",
    )
    orchestrator = OrchestratorAgent(boss, [researcher, translator])

    chunks = list(orchestrator.run("Capital of France, and greet in French", stream=True))

    assert chunks[-1].content["text"] == "Paris. Bonjour!"
    assert all(c.agent == "orchestrator" for c in chunks)
    assert [c.content["response"] for c in chunks if c.phase is Phase.TOOL_CALLING] == [
        "Paris is the capital.",
        "Bonjour",
    ]
    assert set(orchestrator.messages) == {"orchestrator", "researcher", "translator"}
    assert orchestrator.messages["researcher"][-2] == {
        "role": "user",
        "content": "Capital of France?",
    }
    system = orchestrator.messages["orchestrator"][0]["content"]
    assert "researcher: Looks facts up" in system and "translator: Translates to French" in system
    offered = {t["function"]["name"] for t in boss.requests[0]["tools"]}
    assert offered == {"researcher", "translator"}


def test_orchestrator_wraps_clients_and_restores_every_conversation() -> None:
    orchestrator = OrchestratorAgent(
        scripted(Turn(tool_calls=[("boss_worker0", {"task": "sub-task"})]), "all done"),
        [scripted("worker answer")],
        "You delegate.",
        name="boss",
    )
    assert orchestrator.run("big task") == "all done"
    saved = json.loads(json.dumps(orchestrator.messages))
    assert set(saved) == {"boss", "boss.worker0"}

    again = OrchestratorAgent(scripted(), [scripted()], "You delegate.", name="boss")
    again.restore(saved)
    assert again.messages == saved


def test_orchestrator_refuses_duplicate_tool_names_and_no_workers() -> None:
    with pytest.raises(ConfigurationError, match="several tools named"):
        OrchestratorAgent(scripted(), [Agent(scripted(), name="w"), Agent(scripted(), name="w")])
    with pytest.raises(ConfigurationError, match="at least one worker"):
        OrchestratorAgent(scripted(), [])


# -- registration and import cost ------------------------------------------------------------------

RUNNERS = {
    "agent": "Agent",
    "skill-agent": "SkillAgent",
    "orchestrator": "OrchestratorAgent",
    "chain": "Chain",
    "router": "Router",
    "parallel": "Parallel",
    "evaluator-optimizer": "EvaluatorOptimizer",
    "plan-execute-evaluator": "PlanExecuteEvaluator",
}


def test_core_registers_its_runners_through_the_hook() -> None:
    manager = PluginManager(environ={"AIMU_PLUGIN_AUTOLOAD": "0"})
    assert set(RUNNERS) <= set(manager.runners)
    for name, cls in RUNNERS.items():
        record = manager.runners[name]
        sync, asynchronous = load_object(record.runner), load_object(record.async_runner)
        assert (sync.__name__, asynchronous.__name__) == (cls, f"Async{cls}")
        assert issubclass(sync, Runner) and issubclass(asynchronous, aio.Runner)
        assert record.description


def test_importing_aimu_core_and_its_runners_does_not_import_aio() -> None:
    code = (
        "import sys, aimu_core, aimu_core.agents, aimu_core.skills; "
        "assert 'aimu_core.aio' not in sys.modules, sorted(m for m in sys.modules if 'aio' in m)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
