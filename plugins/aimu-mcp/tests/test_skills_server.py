"""The skills MCP server, in-process and over stdio (``aimu skills serve``), and agents using it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from aimu_mcp import MCPClient, skills_server

import aimu_core
from aimu_core.agents import Agent
from aimu_core.errors import ToolError
from aimu_core.skills import SkillManager
from aimu_core.testing.scripted import Turn

SKILL = """---
name: report
description: >
  Write reports.
  Use for any report.
---
# Reports

Run scripts/count.py with the words to count.
"""

SCRIPTS = {
    "count.py": '"""Count the words given."""\nimport sys\nprint(len(sys.argv) - 1)\n',
    "where.sh": "#!/bin/sh\n# Print the working directory.\npwd\n",
    "fail.py": "import sys\nprint('bad input', file=sys.stderr)\nsys.exit(2)\n",
    "hang.py": "import time\ntime.sleep(60)\n",
}


@pytest.fixture
def skills(tmp_path: Path) -> Path:
    root = tmp_path / "skills"
    folder = root / "report"
    (folder / "scripts").mkdir(parents=True)
    (folder / "SKILL.md").write_text(SKILL, encoding="utf-8")
    for name, text in SCRIPTS.items():
        (folder / "scripts" / name).write_text(text, encoding="utf-8")
    (root / "bad").mkdir()
    (root / "bad" / "SKILL.md").write_text("no front matter\n", encoding="utf-8")
    return root


def test_the_server_offers_activate_skill_and_one_tool_per_script(skills: Path) -> None:
    with MCPClient(skills_server(skills, timeout=1)) as mcp:
        specs = {s["function"]["name"]: s["function"] for s in mcp.get_tools()}
        assert sorted(specs) == [
            "activate_skill",
            "report__count",
            "report__fail",
            "report__hang",
            "report__where",
        ]
        assert (
            "report: Write reports. Use for any report." in specs["activate_skill"]["description"]
        )
        assert specs["report__count"]["description"].startswith("Count the words given.")
        assert list(specs["report__count"]["parameters"]["properties"]) == ["args"]
        assert mcp.call_tool("activate_skill", {"name": "report"}).startswith("# Reports")
        assert mcp.call_tool("report__count", {"args": ["a", "b", "c"]}) == "3"
        assert mcp.call_tool("report__where") == str((skills / "report").resolve())
        with pytest.raises(ToolError, match=r"exit code 2\):\nbad input"):
            mcp.call_tool("report__fail")
        with pytest.raises(ToolError, match="ran past its 1 s limit"):
            mcp.call_tool("report__hang")
        with pytest.raises(ToolError, match="no skill named 'nope'"):
            mcp.call_tool("activate_skill", {"name": "nope"})
        with pytest.raises(ToolError, match="outside the skill's folder"):
            mcp.call_tool("report__count", {"args": ["/etc/passwd"]})


def test_a_manager_can_be_served_and_its_errors_are_kept(skills: Path) -> None:
    manager = SkillManager(skills)
    assert [s.name for s in manager] == ["report"] and len(manager.errors) == 1
    assert skills_server(manager).name == "aimu-skills"


def test_aimu_skills_serve_over_stdio_to_an_agent(skills: Path) -> None:
    command = [sys.executable, "-m", "aimu_core.cli", "skills", "serve", str(skills)]
    client = aimu_core.client(
        "scripted:scripted",
        script=[
            Turn(tool_calls=[("activate_skill", {"name": "report"})]),
            Turn(tool_calls=[("report__count", {"args": ["one", "two"]})]),
            "Two words.",
        ],
    )
    with MCPClient(command) as mcp:
        assert Agent(client, mcp_client=mcp).run("Count: one two") == "Two words."
    tools: list[Any] = [m["content"] for m in client.messages if m["role"] == "tool"]
    assert tools[0].startswith("# Reports") and tools[1] == "2"
