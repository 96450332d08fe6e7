"""The `aimu` command, run as a user runs it: in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.fixture(autouse=True)
def scripted_installed(scripted_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Install the (test-only) scripted provider for the `aimu` subprocesses."""
    paths = [scripted_path, *filter(None, [os.environ.get("PYTHONPATH")])]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))


def aimu(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AIMU_")}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "aimu_core.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
    )


def test_chat_streams_the_reply():
    result = aimu("chat", "-m", "scripted:echo", "hello there")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello there\n"


def test_chat_reads_the_prompt_from_stdin():
    result = aimu("chat", "-m", "scripted:echo", "--no-stream", "-", stdin="piped prompt")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "piped prompt\n"


def test_chat_repl_keeps_the_conversation_until_exit():
    result = aimu("chat", "-m", "scripted:echo", stdin="first\nsecond\nexit\nnever\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["first", "second"]


def test_chat_uses_the_default_model_from_the_environment():
    result = aimu("chat", "--no-stream", "hi", env={"AIMU_LANGUAGE_MODEL": "scripted:echo"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hi\n"


def test_chat_with_an_unknown_provider_explains_the_fix():
    result = aimu("chat", "-m", "anthropicc:claude", "hi")
    assert result.returncode == 1
    assert "Unknown provider 'anthropicc'" in result.stderr
    assert "Traceback" not in result.stderr


def test_models_lists_capabilities_as_json():
    result = aimu("models", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["model"]: row for row in json.loads(result.stdout)}
    assert rows["scripted:scripted"]["tools"] is True
    assert rows["scripted:echo"]["vision"] is False
    assert rows["scripted:scripted"]["plugin"].startswith("scripted")


def test_plugins_lists_core_and_the_scripted_provider():
    result = aimu("plugins", "--json")
    assert result.returncode == 0, result.stderr
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    assert plugins["aimu-core"]["contributes"]["tools"] == ["current_time"]
    assert plugins["scripted"]["status"] == "loaded"
    assert plugins["scripted"]["contributes"] == {"text_providers": ["scripted"]}
    text = aimu("plugins").stdout
    assert "scripted (aimu-scripted" in text and "loaded" in text


def test_a_users_install_shows_no_scripted_provider(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("PYTHONPATH", raising=False)
    models = aimu("models", "--json")
    assert models.returncode == 0, models.stderr
    assert not [row for row in json.loads(models.stdout) if row["model"].startswith("scripted:")]
    plugins = {p["name"] for p in json.loads(aimu("plugins", "--json").stdout)}
    assert "scripted" not in plugins
