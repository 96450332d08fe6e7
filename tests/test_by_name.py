"""Tools and runners looked up by name, core's and a third-party plugin's (real ``.dist-info``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import aimu_core
from aimu_core import agents, aio, tools
from aimu_core.agents import Agent, Chain
from aimu_core.errors import ConfigurationError, UnknownProviderError
from aimu_core.records import ToolRecord
from aimu_core.testing import Turn, write_distribution
from aimu_core.tools import tool

Runner = Callable[..., Any]


@tool
def shout(text: str) -> str:
    """Upper-case a text.

    Args:
        text: what to shout.
    """
    return text.upper()


# -- tools ---------------------------------------------------------------------------


def test_core_registers_its_tool_groups() -> None:
    names = set(tools.available())
    assert {"time.now", "time.convert", "calculator", "files.read", "files.write"} <= names
    assert tools.get("time.now").__tool_spec__["function"]["name"] == "current_time"
    assert (
        tools.get("time.convert")("2025-01-01T12:00", "Asia/Tokyo") == "2025-01-01T21:00:00+09:00"
    )
    assert [f.__name__ for f in tools.select("time")] == ["convert_time", "current_time"]


def test_unknown_names_get_close_matches_and_groups_say_how_to_use_them() -> None:
    with pytest.raises(UnknownProviderError, match=r"Unknown tool 'calculater'.*'calculator'"):
        tools.get("calculater")
    with pytest.raises(ConfigurationError, match=r"'time' is a group of tools .*select\('time'\)"):
        tools.get("time")
    with pytest.raises(ConfigurationError, match="takes no options"):
        tools.get("calculator", root=".")
    with pytest.raises(ConfigurationError, match="must be a string"):
        tools.get(3)  # type: ignore[arg-type]


def test_tool_record_names() -> None:
    ToolRecord(name="files.read", tool="m:f")
    ToolRecord(name="calculator", tool="m:f")
    for bad in ("Files.read", "files.", ".read", "a.b.c", "files read", ""):
        with pytest.raises(ValueError, match="tool name"):
            ToolRecord(name=bad, tool="m:f")
    assert ToolRecord(name="files.read", tool="m:f").group == "files"
    assert ToolRecord(name="calculator", tool="m:f").group is None


def test_client_tools_mix_names_and_functions() -> None:
    client = aimu_core.client(
        "scripted:scripted",
        script=[
            Turn(tool_calls=[("calculate", {"expression": "6 * 7"}), ("shout", {"text": "hi"})]),
            "42, HI",
        ],
    )
    client.tools = ["calculator", shout, "time"]
    assert client.chat("compute") == "42, HI"
    offered = [spec["function"]["name"] for spec in client.requests[0]["tools"]]
    assert offered == ["calculate", "shout", "convert_time", "current_time"]
    assert [m["content"] for m in client.messages if m["role"] == "tool"] == ["42", "HI"]


def test_an_unknown_tool_name_fails_the_call_before_any_request() -> None:
    client = aimu_core.client("scripted:scripted", script=["never"])
    client.tools = ["calculater"]
    with pytest.raises(UnknownProviderError, match="Did you mean 'calculator'"):
        client.chat("hi")
    assert client.messages == [] and client.requests == []


def test_an_agent_resolves_names_when_it_is_made() -> None:
    agent = Agent(aimu_core.client("scripted:scripted"), tools=["time.now", shout])
    assert [fn.__name__ for fn in agent.tools] == ["current_time", "shout"]
    with pytest.raises(UnknownProviderError):
        Agent(aimu_core.client("scripted:scripted"), tools=["nope"])


# -- runners -------------------------------------------------------------------------


def test_runners_by_name() -> None:
    assert agents.get("chain") is Chain
    assert agents.get("agent", asynchronous=True) is aio.Agent
    assert set(agents.available()) >= {"agent", "chain", "router", "parallel", "skill-agent"}
    with pytest.raises(UnknownProviderError, match=r"Unknown runner 'chian'.*'chain'"):
        agents.get("chian")


# -- third-party plugins, installed as real distributions -----------------------------

_PLUGIN = '''
from aimu_core import hookimpl, tool, RunnerRecord, ToolRecord
from aimu_core.agents import Runner

AIMU_PLUGIN_API = 1


@tool
def reverse(text: str) -> str:
    """Reverse a text.

    Args:
        text: the text.
    """
    return text[::-1]


def greeter(greeting: str = "hello"):
    @tool
    def greet(name: str) -> str:
        """Greet someone.

        Args:
            name: who.
        """
        return f"{greeting} {name}"
    return greet


class Echo(Runner):
    name = "echo"

    @property
    def messages(self):
        return {}

    def run(self, task, generate_kwargs=None, stream=False, images=None):
        return f"echo: {task}"


@hookimpl
def aimu_tools():
    return [
        ToolRecord(name="text.reverse", tool="aimufx_toolkit:reverse", description="Reverse"),
        ToolRecord(name="text.greet", tool="aimufx_toolkit:greeter", factory=True),
    ]


@hookimpl
def aimu_runners():
    return [RunnerRecord(name="echo", runner="aimufx_toolkit:Echo", description="Echoes")]
'''

_PROBE = r"""
import json
import aimu_core
from aimu_core import agents, tools
out = {}
try:
    out["reverse"] = tools.get("text.reverse")("abc")
    out["greet"] = tools.get("text.greet", greeting="hi")("Ada")
    out["group"] = [f.__name__ for f in tools.select("text", greeting="yo")]
    out["echo"] = agents.get("echo")().run("ping")
except Exception as exc:
    out["error"] = [type(exc).__name__, str(exc)]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def toolkit_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("toolkit-site")
    (site / "aimufx_toolkit.py").write_text(_PLUGIN, encoding="utf-8")
    write_distribution(site, "aimu-fx-toolkit", "1.0", {"toolkit": "aimufx_toolkit"})
    return site


def _env(site: Path, **extra: str) -> dict[str, str]:
    return {"PYTHONPATH": str(site), "AIMU_DISCOVERY_CACHE": "0", **extra}


def test_a_plugins_tools_and_runners_are_found_by_name(
    run_python: Runner, toolkit_site: Path
) -> None:
    out = run_python("-c", _PROBE, env=_env(toolkit_site), plugins=False).json()
    assert out == {
        "reverse": "cba",
        "greet": "hi Ada",
        "group": ["greet", "reverse"],
        "echo": "echo: ping",
    }


def test_the_cli_lists_tools_and_runners_with_their_plugin(
    run_python: Runner, toolkit_site: Path
) -> None:
    listed = run_python(
        "-m", "aimu_core.cli", "tools", "--json", env=_env(toolkit_site), plugins=False
    ).json()
    rows = {row["name"]: row for row in listed}
    assert rows["text.reverse"]["plugin"] == "toolkit (aimu-fx-toolkit 1.0)"
    assert rows["text.greet"]["needs_options"] is True
    assert rows["calculator"]["plugin"].startswith("aimu-core")
    text = run_python("-m", "aimu_core.cli", "runners", env=_env(toolkit_site), plugins=False)
    assert text.returncode == 0, text.stderr
    assert any(
        line.startswith("echo") and line.endswith("[toolkit (aimu-fx-toolkit 1.0)]")
        for line in text.stdout.splitlines()
    )


def test_a_blocked_plugin_contributes_no_tools_and_is_named_at_use(
    run_python: Runner, toolkit_site: Path
) -> None:
    env = _env(toolkit_site, AIMU_DISABLE_PLUGINS="aimu-fx-toolkit")
    out = run_python("-c", _PROBE, env=env, plugins=False).json()
    kind, message = out["error"]
    assert kind == "UnknownProviderError"
    assert "Unknown tool 'text.reverse'" in message and "aimu-fx-toolkit" in message
    listed = run_python("-m", "aimu_core.cli", "tools", "--json", env=env, plugins=False).json()
    assert "text.reverse" not in {row["name"] for row in listed}


def test_aimu_tools_runs_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    from aimu_core.cli import main

    assert main(["tools", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["name"] == "calculator" and rows[0]["plugin"].startswith("aimu-core")
