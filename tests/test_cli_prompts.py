"""`aimu prompts list/show`, run as a user runs it: in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aimu_core.prompts import PromptCatalog


def aimu(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AIMU_")}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "aimu_core.cli", "prompts", *args],
        capture_output=True, text=True, env=environ, timeout=60,
    )  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> str:
    catalog = PromptCatalog(tmp_path / "p.db")
    catalog.save("summary", "ollama:qwen3:8b", "Summarize: {content}", {"accuracy": 0.5})
    catalog.save("summary", "ollama:qwen3:8b", "Briefly:\n{content}", {"accuracy": 0.75})
    catalog.save("classify", "openai:gpt-4o", "Classify {content}")
    return str(tmp_path / "p.db")


def test_list_shows_the_latest_version_of_each(db: str) -> None:
    done = aimu("list", "--db", db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "classify  openai:gpt-4o  v1  ",
        "    Classify {content}",
        "summary  ollama:qwen3:8b  v2  accuracy=0.750",
        "    Briefly:",
    ]
    listed = json.loads(aimu("list", "--json", env={"AIMU_PROMPTS_DB": db}).stdout)
    assert [(p["name"], p["version"]) for p in listed] == [("classify", 1), ("summary", 2)]


def test_show_one_version_or_the_history(db: str) -> None:
    latest = aimu("show", "summary", "--db", db)
    assert latest.returncode == 0 and latest.stdout.endswith("Briefly:\n{content}\n")
    first = json.loads(aimu("show", "summary", "--version", "1", "--json", "--db", db).stdout)
    assert first[0]["prompt"] == "Summarize: {content}" and first[0]["metrics"] == {"accuracy": 0.5}
    history = json.loads(aimu("show", "summary", "--history", "--json", "--db", db).stdout)
    assert [p["version"] for p in history] == [1, 2]


def test_errors_are_one_line_naming_the_fix(db: str, tmp_path: Path) -> None:
    missing = aimu("list", "--db", str(tmp_path / "none.db"))
    assert missing.returncode == 1 and "--db PATH or set AIMU_PROMPTS_DB" in missing.stderr
    PromptCatalog(db).save("summary", "openai:gpt-4o", "x")
    ambiguous = aimu("show", "summary", "--db", db)
    assert ambiguous.returncode == 1 and "choose one with --model" in ambiguous.stderr
    absent = aimu("show", "summary", "--model", "openai:gpt-4o", "--version", "9", "--db", db)
    assert absent.returncode == 1 and "version 9" in absent.stderr
    assert len(absent.stderr.splitlines()) == 1
