"""`aimu memory`, run through the `aimu` entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

_AIMU = Path(sys.executable).with_name("aimu")


def aimu(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AIMU_")}
    return subprocess.run(
        [str(_AIMU), *args], input=stdin, capture_output=True, text=True, env=environ, timeout=60
    )


def test_memory_lists_the_backends() -> None:
    result = aimu("memory", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["documents"]["backend"] == "aimu_core.memory.documents:DocumentStore"
    assert "documents" in aimu("memory").stdout


def test_memory_add_and_search_from_the_shell(tmp_path: Path) -> None:
    store = f"documents:{tmp_path / 'notes'}"
    added = aimu("memory", "add", store, "the cat is called Mochi", "--meta", "topic", "pets")
    assert added.returncode == 0, added.stderr
    aimu("memory", "add", store, "-", "--id", "dogs.txt", stdin="dogs like walks")
    result = aimu("memory", "search", store, "cat name", "--json")
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert [h["text"] for h in hits] == ["the cat is called Mochi"]
    assert hits[0]["id"] == added.stdout.strip() and hits[0]["metadata"] == {"topic": "pets"}
    assert "dogs.txt" in aimu("memory", "search", store, "walks").stdout


def test_memory_errors_are_one_line(tmp_path: Path) -> None:
    result = aimu("memory", "add", f"documents:{tmp_path}", "x", "--id", "../escape.txt")
    assert result.returncode == 1
    assert result.stderr.startswith("error:") and "Traceback" not in result.stderr
    result = aimu("memory", "add", f"documents:{tmp_path}", "x", "--meta", "tags", '["a"]')
    assert result.returncode == 1 and "str, int, float or bool" in result.stderr
