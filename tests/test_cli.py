"""The `aimu` command, run as a user runs it: in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
    assert "time.now" in plugins["aimu-core"]["contributes"]["tools"]
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


@pytest.mark.parametrize("command", [["plugins"], ["plugins", "--json"], ["models"]])
@pytest.mark.parametrize(
    "setting,message",
    [
        ("directory", "which is a directory; point it to the TOML file."),
        ("latin-1", "is not UTF-8 text (byte 9); save it as UTF-8 TOML."),
        ("autoload", "error: AIMU_PLUGIN_AUTOLOAD='disable' is not a boolean: use 1 or 0"),
        ("list", "error: AIMU_DISABLE_PLUGINS entry ':echo' is not a plugin name"),
    ],
)
def test_a_bad_policy_is_a_one_line_error(
    tmp_path: Path, command: list[str], setting: str, message: str
) -> None:
    env = {
        "directory": {"AIMU_PLUGIN_POLICY": str(tmp_path)},
        "latin-1": {"AIMU_PLUGIN_POLICY": str(tmp_path / "policy.toml")},
        "autoload": {"AIMU_PLUGIN_AUTOLOAD": "disable"},
        "list": {"AIMU_DISABLE_PLUGINS": "aimu-ok, :echo"},
    }[setting]
    (tmp_path / "policy.toml").write_bytes('deny = ["é"]\n'.encode("latin-1"))
    result = aimu(*command, env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and message in line
    assert "Traceback" not in result.stderr


def test_chat_with_a_bad_autoload_value_is_a_one_line_error() -> None:
    result = aimu("chat", "-m", "scripted:echo", "hi", env={"AIMU_PLUGIN_AUTOLOAD": "0.0"})
    assert result.returncode == 1
    assert result.stderr == (
        "error: AIMU_PLUGIN_AUTOLOAD='0.0' is not a boolean: use 1 or 0 "
        "(also true/false, yes/no, on/off)\n"
    )


def test_plugins_help_documents_the_exit_status() -> None:
    result = aimu("plugins", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "--check" in text and "Exit status: 0 when no plugin failed, 1 when one failed" in text


@pytest.mark.parametrize("value", ["0", "-5", "many"])
def test_chat_rejects_a_max_tokens_that_is_not_positive(value: str) -> None:
    result = aimu("chat", "-m", "scripted:echo", "--max-tokens", value, "hi")
    assert result.returncode == 2 and result.stdout == ""
    assert "--max-tokens" in result.stderr and "is not an integer > 0" in result.stderr
    assert "Traceback" not in result.stderr


def test_chat_with_max_tokens_passes_it() -> None:
    result = aimu("chat", "-m", "scripted:echo", "--max-tokens", "5", "--no-stream", "hi")
    assert result.returncode == 0, result.stderr


def test_a_bad_model_string_is_one_short_line() -> None:
    result = aimu("chat", "-m", "scripted:m@http://alice:hunter2-secret@h:99999/v1", "hi")
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: Base URL 'http://***@h:99999/v1'") and "hunter2" not in line
    result = aimu("chat", "-m", "x" * 100_000, "hi")
    (line,) = result.stderr.splitlines()
    assert result.returncode == 1 and len(line) < 300


# -- issue 15: a CLI that forgives ------------------------------------------------------


def test_the_repl_survives_a_failed_turn_and_answers_the_next_line() -> None:
    result = aimu("chat", "-m", "scripted:echo", stdin="one\nfail:context_length\ntwo\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["one", "two"]
    assert result.stderr.splitlines() == ["error: scripted context_length"]


def test_repl_commands() -> None:
    lines = [
        "/help",
        "/system be brief",
        "/system",
        "/reset",
        "/model scripted:scripted",
        "/nonsense",
        "hello",
        "/exit",
        "never answered",
    ]
    result = aimu("chat", "-m", "scripted:echo", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["hello"]
    err = result.stderr
    assert "/system TEXT" in err and "/model STRING" in err  # the /help list
    assert "(system message set)" in err and "(system message cleared)" in err
    assert "(new conversation)" in err
    assert "(now chatting with scripted:scripted)" in err
    assert "error: unknown command '/nonsense'; /help lists them" in err


def test_a_bad_model_in_the_repl_keeps_the_current_one() -> None:
    result = aimu("chat", "-m", "scripted:echo", stdin="/model nope:x\nstill here\n")
    assert result.returncode == 0
    assert result.stdout.splitlines() == ["still here"]
    assert "error: Unknown provider 'nope'" in result.stderr


def test_options_set_generation_kwargs_and_are_validated() -> None:
    ok = aimu(
        "chat", "-m", "scripted:echo", "-o", "temperature", "0.2", "-o", "stop", '["x"]', "hi"
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == "hi\n"
    bad_value = aimu("chat", "-m", "scripted:echo", "-o", "temperature", "warm", "hi")
    assert bad_value.returncode == 1
    assert "temperature" in bad_value.stderr and "Traceback" not in bad_value.stderr
    unknown = aimu("chat", "-m", "scripted:echo", "-o", "n_ctxx", "8192", "hi")
    (line,) = unknown.stderr.splitlines()
    assert unknown.returncode == 1
    assert line.startswith("error: -o 'n_ctxx' is not an option of scripted:echo")
    assert "aimu models --options MODEL" in line


def test_models_options_lists_what_o_accepts() -> None:
    result = aimu("models", "--options", "scripted:echo", "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert listed["kind"] == "text"
    assert "system_message" in listed["options"] and "script" in listed["options"]
    assert {"temperature", "max_tokens", "stop"} <= set(listed["generate_kwargs"])


def test_complete_streams_a_raw_completion() -> None:
    result = aimu("complete", "-m", "scripted:echo", "Once upon a time")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Once upon a time\n"
    piped = aimu("complete", "-m", "scripted:echo", "--no-stream", "-", stdin="piped")
    assert piped.stdout == "piped\n"


def test_version_lists_core_and_plugins() -> None:
    import aimu_core

    result = aimu("--version")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"aimu-core {aimu_core.__version__}"
    assert f"aimu-scripted {aimu_core.__version__}" in lines


@pytest.mark.parametrize("command", ["chat", "complete"])
def test_an_empty_prompt_is_refused(command: str) -> None:
    result = aimu(command, "-m", "scripted:echo", "  ")
    assert result.returncode == 2 and result.stdout == ""
    assert "the prompt is empty" in result.stderr
    piped = aimu(command, "-m", "scripted:echo", "-", stdin="\n")
    assert piped.returncode == 1 and "the prompt read from stdin is empty" in piped.stderr
