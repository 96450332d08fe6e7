"""``aimu skills list`` and ``aimu skills serve`` (without aimu-mcp: a clear error)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aimu_core.cli import main

GOOD = "---\nname: greet\ndescription: Greet people.\n---\nSay hello.\n"


@pytest.fixture
def skills(tmp_path: Path) -> Path:
    root = tmp_path / "skills"
    (root / "greet" / "scripts").mkdir(parents=True)
    (root / "greet" / "SKILL.md").write_text(GOOD, encoding="utf-8")
    (root / "greet" / "scripts" / "hello.py").write_text("print('hi')\n", encoding="utf-8")
    (root / "broken").mkdir()
    (root / "broken" / "SKILL.md").write_text("---\nname: [x\n---\n", encoding="utf-8")
    return root


def test_list_shows_skills_scripts_and_errors(
    skills: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["skills", "list", str(skills)]) == 1  # a skill failed to load
    out, err = capsys.readouterr()
    assert "greet: Greet people." in out
    assert "scripts: greet__hello" in out
    assert err.startswith("error: ") and "broken/SKILL.md, line 2" in err


def test_list_as_json(skills: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["skills", "list", "--json", str(skills)])
    data = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in data["skills"]] == ["greet"]
    assert data["skills"][0]["scripts"] == ["greet__hello"]
    assert len(data["errors"]) == 1


def test_list_with_no_skills(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["skills", "list", str(tmp_path)]) == 0
    assert "no skills found" in capsys.readouterr().out


def test_a_missing_folder_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["skills", "list", str(tmp_path / "nope")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_serve_without_aimu_mcp_says_what_to_install(skills: Path) -> None:
    code = (
        "import sys; sys.modules['aimu_mcp'] = None\n"  # as if aimu-mcp were not installed
        "from aimu_core.cli import main\n"
        f"sys.exit(main(['skills', 'serve', {str(skills)!r}]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: aimu skills serve needs the aimu-mcp plugin: pip install aimu-mcp"
    )
