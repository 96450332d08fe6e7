"""`aimu chat` keeps conversations and `aimu logs` lists them, run through the `aimu` entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

_AIMU = Path(sys.executable).with_name("aimu")


@pytest.fixture
def aimu(scripted_path: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run `aimu` with the scripted provider, its history in a temp data dir."""

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("AIMU_")}
        environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [scripted_path, environ.get("PYTHONPATH")])
        )
        environ["AIMU_DATA_DIR"] = str(tmp_path / "data")
        return subprocess.run(
            [str(_AIMU), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=environ,
            timeout=60,
        )

    return run


def _logs(aimu) -> list[dict]:  # type: ignore[no-untyped-def]
    result = aimu("logs", "--json", "-n", "0")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_chat_saves_each_exchange_and_logs_lists_it(aimu, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert aimu("chat", "-m", "scripted:echo", "first question").returncode == 0
    assert (tmp_path / "data" / "history.jsonl").exists()
    rows = _logs(aimu)
    assert len(rows) == 1
    assert rows[0]["title"] == "first question"
    assert rows[0]["model"] == "scripted:echo"
    assert rows[0]["message_count"] == 2
    text = aimu("logs")
    assert "first question" in text.stdout and "scripted:echo" in text.stdout
    assert aimu("logs", "--path").stdout.strip() == str(tmp_path / "data" / "history.jsonl")


def test_continue_the_last_conversation_or_one_by_id(aimu) -> None:  # type: ignore[no-untyped-def]
    aimu("chat", "-m", "scripted:echo", "-s", "be brief", "one")
    aimu("chat", "-m", "scripted:echo", "other conversation")
    second = _logs(aimu)[0]["id"]
    first = _logs(aimu)[1]["id"]

    result = aimu("chat", "-m", "scripted:echo", "-c", "continued")
    assert result.returncode == 0, result.stderr
    rows = {row["id"]: row for row in _logs(aimu)}
    assert len(rows) == 2 and rows[second]["message_count"] == 4

    result = aimu("chat", "-m", "scripted:echo", "--cid", str(first), "back to the first")
    assert result.returncode == 0, result.stderr
    shown = json.loads(aimu("logs", "--cid", str(first), "--json").stdout)
    assert [m["content"] for m in shown["messages"]] == [
        "be brief",
        "one",
        "one",
        "back to the first",
        "back to the first",
    ]


def test_the_repl_saves_every_turn_and_reset_starts_a_new_conversation(aimu) -> None:  # type: ignore[no-untyped-def]
    result = aimu("chat", "-m", "scripted:echo", stdin="a\nb\n/reset\nc\nexit\n")
    assert result.returncode == 0, result.stderr
    rows = _logs(aimu)
    assert [row["message_count"] for row in rows] == [2, 4]
    assert [row["title"] for row in rows] == ["c", "a"]


def test_no_log_saves_nothing(aimu, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert aimu("chat", "-m", "scripted:echo", "--no-log", "secret").returncode == 0
    assert not (tmp_path / "data" / "history.jsonl").exists()
    assert _logs(aimu) == []


def test_unknown_cid_and_a_corrupt_history_are_one_line_errors(aimu, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = aimu("chat", "-m", "scripted:echo", "--cid", "99", "hi")
    assert result.returncode == 1
    assert "no conversation 99" in result.stderr and "Traceback" not in result.stderr

    history = tmp_path / "data" / "history.jsonl"
    history.parent.mkdir(parents=True, exist_ok=True)
    history.write_text("not a journal\n")
    result = aimu("chat", "-m", "scripted:echo", "hi")
    assert result.returncode == 1
    assert str(history) in result.stderr and "Traceback" not in result.stderr
    assert history.read_text() == "not a journal\n"
    assert aimu("logs").returncode == 1
