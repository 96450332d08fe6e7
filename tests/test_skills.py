"""Skills (agentskills.io SKILL.md folders) and the SkillAgent that activates them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aimu_core
from aimu_core import aio
from aimu_core.agents import SkillAgent
from aimu_core.errors import ConfigurationError, SkillError
from aimu_core.models import Phase
from aimu_core.skills import SkillManager, load_skill, split_front_matter
from aimu_core.testing import Turn
from aimu_core.tools import tool

PDF = """---
name: pdf-tools
description: >-
  Extract text and tables from PDF files.
  Use when the user mentions a PDF.
license: Apache-2.0
compatibility: "Needs pdftotext on PATH"
allowed-tools: Bash Read
metadata:
  author: aimu
  version: '1.0'
---
# PDF tools

Run `scripts/extract.sh FILE` and summarize the output.
"""

HAIKU = """---
name: haiku
description: Write haiku in the 5-7-5 form.  # a comment
---
Count syllables line by line.
"""


def write_skill(root: Path, folder: str, text: str) -> Path:
    path = root / folder
    path.mkdir(parents=True, exist_ok=True)
    (path / "SKILL.md").write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def skills_dir(tmp_path: Path) -> Path:
    root = tmp_path / "skills"
    write_skill(root, "pdf-tools", PDF)
    write_skill(root, "haiku", HAIKU)
    (root / "not-a-skill").mkdir()
    return root


def scripted(*turns: Turn | str, **options: Any) -> Any:
    return aimu_core.client("scripted:scripted", script=list(turns), **options)


# -- SKILL.md --------------------------------------------------------------------------------------


def test_a_skill_is_read_and_checked(skills_dir: Path) -> None:
    skill = load_skill(skills_dir / "pdf-tools")
    assert skill.name == "pdf-tools"
    assert (
        skill.description
        == "Extract text and tables from PDF files. Use when the user mentions a PDF."
    )
    assert skill.license == "Apache-2.0"
    assert skill.compatibility == "Needs pdftotext on PATH"
    assert skill.allowed_tools == ("Bash", "Read")
    assert skill.metadata == {"author": "aimu", "version": "1.0"}
    assert skill.instructions().startswith("# PDF tools\n\nRun `scripts/extract.sh FILE`")
    assert load_skill(skills_dir / "haiku").description == "Write haiku in the 5-7-5 form."


def test_front_matter_forms() -> None:
    header, body = split_front_matter(
        "---\n"
        "name: x\n"
        "description: |\n  line one\n  line two\n"
        'quoted: "a \\"b\\" c"\n'
        "single: 'it''s'\n"
        "folded: a long\n  plain value\n"
        "tags:\n  - one\n  - 'two'\n"
        "---\nbody\n"
    )
    assert header == {
        "name": "x",
        "description": "line one\nline two\n",
        "quoted": 'a "b" c',
        "single": "it's",
        "folded": "a long plain value",
        "tags": ["one", "two"],
    }
    assert body == "body"


@pytest.mark.parametrize(
    ("folder", "text", "message"),
    [
        ("a", "no front matter", "must start with a front matter block"),
        ("a", "---\nname: a\ndescription: d\n", "never closed"),
        ("a", "---\ndescription: d\n---\n", "needs a 'name'"),
        ("a", "---\nname: a\n---\n", "non-empty 'description'"),
        ("a", "---\nname: a\ndescription: ''\n---\n", "non-empty 'description'"),
        ("Bad_Name", "---\nname: Bad_Name\ndescription: d\n---\n", "is invalid"),
        ("a--b", "---\nname: a--b\ndescription: d\n---\n", "is invalid"),
        ("-a", "---\nname: -a\ndescription: d\n---\n", "is invalid"),
        ("x" * 65, f"---\nname: {'x' * 65}\ndescription: d\n---\n", "is invalid"),
        (
            "folder",
            "---\nname: other\ndescription: d\n---\n",
            "must match its folder's name 'folder'",
        ),
        ("a", f"---\nname: a\ndescription: {'d' * 1025}\n---\n", "limit is 1024"),
        ("a", f"---\nname: a\ndescription: d\ncompatibility: {'c' * 501}\n---\n", "limit is 500"),
        ("a", "---\nname: a\nname: a\ndescription: d\n---\n", "line 3: 'name' is given twice"),
        ("a", "---\nname: a\ndescription: d\njust words\n---\n", "line 4: .*expected ':'"),
        ("a", '---\nname: a\ndescription: "open\n---\n', "line 3: while scanning a quoted"),
        ("a", "---\nname: a\ndescription: d\nmetadata:\n  deep:\n    x: y\n---\n", "string values"),
        ("a", "---\n- name: a\n---\n", "line 2: the front matter must be 'key: value'"),
        ("a", "---\nname: a\ndescription: [1, 2\n---\n", "line 3: while parsing a flow"),
        ("a", "---\nname: a\ndescription: d\nmetadata:\n  - x\n---\n", "map of string keys"),
    ],
)
def test_malformed_skills_are_clear_errors(
    tmp_path: Path, folder: str, text: str, message: str
) -> None:
    path = write_skill(tmp_path, folder, text)
    with pytest.raises(SkillError, match=message) as info:
        load_skill(path)
    assert "SKILL.md" in str(info.value)


def test_a_folder_without_skill_md(tmp_path: Path) -> None:
    with pytest.raises(SkillError, match=r"must contain a SKILL\.md"):
        load_skill(tmp_path)


# -- discovery -------------------------------------------------------------------------------------


def test_manager_discovers_skills_and_earlier_folders_win(tmp_path: Path, skills_dir: Path) -> None:
    override = tmp_path / "project"
    write_skill(override, "haiku", HAIKU.replace("Write haiku", "Write project haiku"))
    manager = SkillManager([override, skills_dir])
    assert sorted(s.name for s in manager) == ["haiku", "pdf-tools"]
    assert manager.get("haiku").description.startswith("Write project haiku")
    assert "haiku" in manager and len(manager) == 2

    single = SkillManager(skills_dir / "pdf-tools")  # a skill folder itself
    assert [s.name for s in single] == ["pdf-tools"]


def test_manager_errors(tmp_path: Path, skills_dir: Path) -> None:
    with pytest.raises(SkillError, match="does not exist"):
        SkillManager([tmp_path / "missing"])
    with pytest.raises(
        SkillError, match="no skill named 'nope'; available skills: haiku, pdf-tools"
    ):
        SkillManager(skills_dir).activate("nope")


def test_default_folders_are_the_projects_then_the_users(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, home = tmp_path / "project", tmp_path / "home"
    write_skill(project / ".claude" / "skills", "haiku", HAIKU)
    write_skill(home / ".agents" / "skills", "pdf-tools", PDF)
    write_skill(home / ".agents" / "skills", "haiku", HAIKU.replace("Write haiku", "User haiku"))
    monkeypatch.chdir(project)
    monkeypatch.setenv("HOME", str(home))
    manager = SkillManager()
    assert sorted(manager.skills) == ["haiku", "pdf-tools"]
    assert manager.get("haiku").description.startswith("Write haiku")


def test_catalog_prompt(skills_dir: Path) -> None:
    catalog = SkillManager(skills_dir).catalog_prompt()
    assert "activate_skill" in catalog
    assert "<name>pdf-tools</name>" in catalog
    assert "<description>Write haiku in the 5-7-5 form.</description>" in catalog
    assert "scripts/extract.sh" not in catalog  # bodies are loaded on activation only
    assert SkillManager([]).catalog_prompt() == ""


# -- SkillAgent ------------------------------------------------------------------------------------


def test_skill_agent_offers_the_catalog_and_activates_a_skill(skills_dir: Path) -> None:
    client = scripted(
        Turn(tool_calls=[("activate_skill", {"name": "pdf-tools"})]),
        "I will run the extraction script.",
    )
    agent = SkillAgent(client, skills_dir, "You are helpful.")

    chunks = list(agent.run("Summarize report.pdf", stream=True))

    assert chunks[-1].content["text"] == "I will run the extraction script."
    system = client.requests[0]["messages"][0]["content"]
    assert system.startswith("You are helpful.\n\n") and "<name>haiku</name>" in system
    assert {t["function"]["name"] for t in client.requests[0]["tools"]} == {"activate_skill"}
    call = next(c for c in chunks if c.phase is Phase.TOOL_CALLING)
    assert (call.agent, call.iteration) == ("skill_agent", 0)
    assert call.content["response"].startswith("# PDF tools\n\nRun `scripts/extract.sh FILE`")
    assert str(skills_dir / "pdf-tools") in call.content["response"]
    assert agent.activated_skills == ["pdf-tools"]


def test_activating_an_unknown_skill_is_a_message_to_the_model(skills_dir: Path) -> None:
    client = scripted(Turn(tool_calls=[("activate_skill", {"name": "poetry"})]), "No such skill.")
    agent = SkillAgent(client, skills_dir)
    assert agent.run("write a poem") == "No such skill."
    response = agent.messages["skill_agent"][-2]["content"]
    assert "SkillError" in response and "no skill named 'poetry'" in response


def test_skill_agent_keeps_your_tools_and_system_message(skills_dir: Path) -> None:
    @tool
    def shout(text: str) -> str:
        """Upper-case text."""
        return text.upper()

    agent = SkillAgent(scripted(system_message="Base."), skills_dir, tools=[shout])
    assert [t.__tool_spec__["function"]["name"] for t in agent.tools] == ["shout", "activate_skill"]
    assert agent.system_message.startswith("Base.\n\n")
    agent.system_message = "Changed."
    assert agent.system_message.startswith("Changed.\n\nYou have skills")

    @tool(name="activate_skill")
    def clash(name: str) -> str:
        """Mine."""
        return name

    with pytest.raises(ConfigurationError, match="activate_skill"):
        SkillAgent(scripted(), skills_dir, tools=[clash])


def test_reload_skills_and_restore(tmp_path: Path, skills_dir: Path) -> None:
    agent = SkillAgent(scripted("ok"), skills_dir, "Sys.", name="helper")
    agent.run("hi")
    saved = json.loads(json.dumps(agent.messages))

    write_skill(
        skills_dir, "limerick", "---\nname: limerick\ndescription: Write limericks.\n---\nAABBA.\n"
    )
    agent.reload_skills()
    assert "<name>limerick</name>" in agent.system_message

    fresh = SkillAgent(scripted(), skills_dir, "Sys.", name="helper")
    fresh.restore(saved)
    conversation = fresh.messages["helper"]
    assert [m["role"] for m in conversation] == ["system", "user", "assistant"]
    assert (
        "<name>limerick</name>" in conversation[0]["content"]
    )  # the current catalog, not the saved one


def test_async_skill_agent(skills_dir: Path) -> None:
    client = aio.client(
        "scripted:scripted",
        script=[Turn(tool_calls=[("activate_skill", {"name": "haiku"})]), "Syllables counted."],
    )
    agent = aio.SkillAgent(client, SkillManager(skills_dir))

    assert asyncio.run(agent.run("a haiku please")) == "Syllables counted."
    assert agent.messages["skill_agent"][-2]["content"].startswith("Count syllables line by line.")
    assert agent.activated_skills == ["haiku"]


# -- the front matter parser (PyYAML's safe loader) ------------------------------------

_KEYS = st.from_regex(r"[a-z][a-z0-9_-]{0,11}", fullmatch=True)
# Text a UTF-8 file can hold, without the line breaks YAML folds into spaces in quoted strings.
_TEXT = st.text(
    st.characters(exclude_characters="\r\x85\u2028\u2029", exclude_categories=["Cs"]), max_size=40
)
_VALUES = st.one_of(
    _TEXT,
    st.lists(_TEXT, max_size=4),
    st.dictionaries(_KEYS, _TEXT, max_size=3),
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_KEYS, _VALUES, max_size=6))
def test_any_yaml_header_reads_back_as_written(header: dict[str, object]) -> None:
    import yaml

    text = "---\n" + yaml.safe_dump(header, allow_unicode=True, width=30) + "---\nbody"
    assert split_front_matter(text) == (header, "body")


@settings(max_examples=100, deadline=None)
@given(st.lists(_KEYS, min_size=1, max_size=8, unique=True), st.data())
def test_a_repeated_key_is_reported_on_its_line(keys: list[str], data: st.DataObject) -> None:
    repeated = data.draw(st.sampled_from(keys))
    lines = [f"{key}: value" for key in keys]
    at = data.draw(st.integers(len(lines), len(lines) + 3))
    lines[at:at] = [""] * (at - len(lines)) + [f"{repeated}: again"]
    text = "\n".join(["---", *lines, "---", "body"])
    with pytest.raises(
        SkillError, match=rf"^x/SKILL\.md, line {at + 2}: '{repeated}' is given twice$"
    ):
        split_front_matter(text, "x/SKILL.md")


def test_a_huge_front_matter_is_refused_before_parsing() -> None:
    with pytest.raises(SkillError, match="the limit is 65536"):
        split_front_matter("---\nname: a\ndescription: " + "d" * 70_000 + "\n---\n")


def test_yaml_scalars_in_metadata_become_strings(tmp_path: Path) -> None:
    path = write_skill(
        tmp_path,
        "a",
        "---\nname: a\ndescription: d\nmetadata:\n  version: 1.0\n  beta: true\n---\n",
    )
    assert load_skill(path).metadata == {"version": "1.0", "beta": "True"}


# -- scripts as tools ------------------------------------------------------------------------------

SCRIPTED_SKILL = """---
name: tools-demo
description: Scripts for tests.
---
Run the scripts.
"""

SCRIPTS = {
    "hello.py": '"""Greet whoever is named.\n\nMore text."""\nimport sys\nprint("hello", *sys.argv[1:])\n',
    "where.py": "import os\nprint(os.getcwd())\n",
    "fail.sh": "#!/bin/sh\n# Always fails.\necho partial\necho broken >&2\nexit 3\n",
    "hang.py": "import time\ntime.sleep(60)\n",
    "big.py": "print('x' * 100_000)\n",
    "notes.txt": "not a script\n",
}


@pytest.fixture
def scripted_skill(tmp_path: Path) -> Path:
    root = tmp_path / "skills"
    folder = write_skill(root, "tools-demo", SCRIPTED_SKILL)
    (folder / "scripts").mkdir()
    for name, text in SCRIPTS.items():
        (folder / "scripts" / name).write_text(text, encoding="utf-8")
    outside = tmp_path / "outside.py"
    outside.write_text("print('escaped')\n", encoding="utf-8")
    (folder / "scripts" / "escape.py").symlink_to(outside)
    return root


def scripts_by_name(root: Path) -> dict[str, Any]:
    return {s.tool_name: s for s in SkillManager(root).scripts()}


def test_a_skills_scripts_are_listed_as_tools(scripted_skill: Path) -> None:
    scripts = scripts_by_name(scripted_skill)
    assert sorted(scripts) == [
        "tools-demo__big",
        "tools-demo__fail",
        "tools-demo__hang",
        "tools-demo__hello",
        "tools-demo__where",
    ]  # not notes.txt, not escape.py (a symlink out of the folder)
    assert scripts["tools-demo__hello"].description.startswith("Greet whoever is named. (runs")
    assert scripts["tools-demo__fail"].description.startswith("Always fails.")
    assert scripts["tools-demo__where"].description.startswith("Run scripts/where.py")


def test_running_scripts(scripted_skill: Path) -> None:
    from aimu_core.errors import ToolArgumentError, ToolError
    from aimu_core.skills import run_script

    scripts = scripts_by_name(scripted_skill)
    assert run_script(scripts["tools-demo__hello"], ["a b", "$HOME"]) == "hello a b $HOME"
    folder = (scripted_skill / "tools-demo").resolve()
    assert run_script(scripts["tools-demo__where"]) == str(folder)
    with pytest.raises(ToolError, match=r"failed \(exit code 3\):\npartial\nbroken"):
        run_script(scripts["tools-demo__fail"])
    with pytest.raises(ToolError, match="ran past its 0.5 s limit"):
        run_script(scripts["tools-demo__hang"], timeout=0.5)
    big = run_script(scripts["tools-demo__big"], max_output=1000)
    assert big.endswith("[output cut at 1000 of 100000 characters]") and len(big) < 1100
    for bad in (["/etc/passwd"], ["../../secret"], [3]):
        with pytest.raises(ToolArgumentError):
            run_script(scripts["tools-demo__hello"], bad)  # type: ignore[arg-type]
    assert run_script(scripts["tools-demo__hello"], ["scripts/../SKILL.md"]).endswith("SKILL.md")
    (folder / "scripts" / "hello.py").unlink()
    with pytest.raises(SkillError, match="no longer exists"):
        run_script(scripts["tools-demo__hello"])


def test_a_bad_skill_is_left_out_and_the_rest_load(tmp_path: Path, skills_dir: Path) -> None:
    write_skill(skills_dir, "broken", "---\nname: broken\ndescription: [open\n---\n")
    manager = SkillManager(skills_dir)
    assert sorted(manager.skills) == ["haiku", "pdf-tools"]
    assert len(manager.errors) == 1
    assert "broken/SKILL.md, line 3" in str(manager.errors[0])


def test_skill_agent_runs_scripts_as_tools(scripted_skill: Path) -> None:
    client = scripted(
        Turn(tool_calls=[("tools-demo__hello", {"args": ["world"]}), ("tools-demo__fail", {})]),
        "done",
    )
    agent = SkillAgent(client, scripted_skill, script_tools=True)
    assert agent.run("go") == "done"
    hello, fail = [m["content"] for m in client.messages if m["role"] == "tool"]
    assert hello == "hello world"
    assert "exit code 3" in fail and "broken" in fail
    offered = {t["function"]["name"] for t in client.requests[0]["tools"]}
    assert {"activate_skill", "tools-demo__hello"} <= offered
    schema = next(
        t["function"]
        for t in client.requests[0]["tools"]
        if t["function"]["name"] == "tools-demo__hello"
    )
    assert list(schema["parameters"]["properties"]) == ["args"]
    # A second SkillAgent on the same client does not offer the tools twice.
    SkillAgent(client, scripted_skill, script_tools=True)
    names = [tool_spec_name(fn) for fn in client.tools]
    assert names.count("tools-demo__hello") == 1 and names.count("activate_skill") == 1
    assert len({n for n in names if n.startswith("tools-demo__")}) == 5
    assert "tools-demo__hello" not in {
        tool_spec_name(fn) for fn in SkillAgent(client, scripted_skill).tools
    }


def tool_spec_name(fn: Any) -> str:
    from aimu_core.tools import tool_spec

    return str(tool_spec(fn)["function"]["name"])
