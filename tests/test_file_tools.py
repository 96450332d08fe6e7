"""``files.read/write/list``: one sandbox folder, nothing outside it, atomic writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aimu_core
from aimu_core.errors import ConfigurationError, SandboxError, ToolArgumentError
from aimu_core.testing import Turn
from aimu_core.tools import get, select
from aimu_core.tools.files import MAX_READ_BYTES, Sandbox


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "sandbox"
    root.mkdir()
    (root / "notes.txt").write_text("hello", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("top secret", encoding="utf-8")
    return root


def test_read_write_list_inside_the_folder(folder: Path) -> None:
    read, write, listing = (get(f"files.{v}", root=folder) for v in ("read", "write", "list"))
    assert read("notes.txt") == "hello"
    assert write("deep/er/todo.md", "- milk\n") == "wrote 7 bytes to deep/er/todo.md"
    assert (folder / "deep" / "er" / "todo.md").read_text(encoding="utf-8") == "- milk\n"
    assert listing() == ["deep/", "notes.txt"]
    assert listing("deep/er") == ["todo.md"]
    write("notes.txt", "replaced")
    assert read("notes.txt") == "replaced"


def test_a_group_name_selects_every_tool_of_the_group(folder: Path) -> None:
    names = [fn.__tool_spec__["function"]["name"] for fn in select("files", root=folder)]
    assert names == ["list_files", "read_file", "write_file"]


@pytest.mark.parametrize(
    "path", ["../secret.txt", "deep/../../secret.txt", "/etc/passwd", "~/x", "..", "a/../../b"]
)
def test_paths_out_of_the_folder_are_refused(folder: Path, path: str) -> None:
    box = Sandbox(folder)
    for action in (box.read, lambda p: box.write(p, "x"), box.list):
        with pytest.raises(SandboxError):
            action(path)
    assert (folder.parent / "secret.txt").read_text(encoding="utf-8") == "top secret"


def test_symlinks_pointing_out_are_refused(folder: Path) -> None:
    (folder / "link.txt").symlink_to(folder.parent / "secret.txt")
    (folder / "out").symlink_to(folder.parent)
    box = Sandbox(folder)
    with pytest.raises(SandboxError):
        box.read("link.txt")
    with pytest.raises(SandboxError):
        box.read("out/secret.txt")
    with pytest.raises(SandboxError):
        box.write("out/new.txt", "x")
    with pytest.raises(SandboxError):
        box.write("link.txt", "overwrite")
    assert not (folder.parent / "new.txt").exists()
    assert (folder.parent / "secret.txt").read_text(encoding="utf-8") == "top secret"


def test_a_symlink_inside_the_folder_is_followed(folder: Path) -> None:
    (folder / "alias.txt").symlink_to(folder / "notes.txt")
    assert Sandbox(folder).read("alias.txt") == "hello"


def test_bad_input_is_a_clear_error(folder: Path, tmp_path: Path) -> None:
    box = Sandbox(folder)
    with pytest.raises(ToolArgumentError, match="no file"):
        box.read("missing.txt")
    with pytest.raises(ToolArgumentError, match="is a folder"):
        box.write(".", "x")
    with pytest.raises(ToolArgumentError, match="non-empty"):
        box.read("")
    with pytest.raises(ToolArgumentError, match="non-empty"):
        box.read("a\x00b")
    (folder / "big.bin").write_bytes(b"x" * (MAX_READ_BYTES + 1))
    with pytest.raises(ToolArgumentError, match="larger than"):
        box.read("big.bin")
    (folder / "latin.txt").write_bytes("é".encode("latin-1"))
    with pytest.raises(ToolArgumentError, match="not UTF-8"):
        box.read("latin.txt")
    with pytest.raises(ConfigurationError, match="not a folder"):
        Sandbox(tmp_path / "nowhere")


def test_without_a_root_the_error_says_how_to_give_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIMU_FILES_ROOT", raising=False)
    with pytest.raises(ConfigurationError, match="root="):
        get("files.read")


def test_a_model_uses_them_by_name_with_aimu_files_root(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIMU_FILES_ROOT", str(folder))
    client = aimu_core.client(
        "scripted:scripted",
        script=[
            Turn(tool_calls=[("write_file", {"path": "plan.txt", "content": "step 1"})]),
            Turn(tool_calls=[("read_file", {"path": "../secret.txt"})]),
            "done",
        ],
    )
    client.tools = ["files"]
    assert client.chat("make a plan") == "done"
    tool_messages = [m["content"] for m in client.messages if m["role"] == "tool"]
    assert tool_messages[0] == "wrote 6 bytes to plan.txt"
    assert tool_messages[1].startswith("Error: tool read_file raised SandboxError")
    assert "top secret" not in str(client.messages)


def test_concurrent_writers_leave_one_whole_text(folder: Path) -> None:
    box = Sandbox(folder)
    texts = [str(i) * 100_000 for i in range(8)]
    threads = [threading.Thread(target=box.write, args=("race.txt", t)) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert box.read("race.txt") in texts
    assert box.list() == ["notes.txt", "race.txt"]  # no temporary file left behind


_WRITER = """
import sys
from aimu_core.tools.files import Sandbox
box = Sandbox(sys.argv[1])
print("ready", flush=True)
i = 0
while True:
    box.write("state.txt", str(i % 10) * 2_000_000)
    i += 1
"""


def test_a_writer_killed_mid_write_leaves_the_old_or_the_new_text(folder: Path) -> None:
    box = Sandbox(folder)
    box.write("state.txt", "0" * 2_000_000)
    for _ in range(3):
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(folder)], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        text = (folder / "state.txt").read_text(encoding="utf-8")
        assert len(text) == 2_000_000 and len(set(text)) == 1


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(["..", ".", "a", "b", "", "/", "~", "\\"]), max_size=6))
def test_no_generated_path_resolves_outside(folder: Path, parts: list[str]) -> None:
    path = "/".join(parts)
    box = Sandbox(folder)
    try:
        resolved = box.path(path)
    except (SandboxError, ToolArgumentError):
        return
    assert resolved.is_relative_to(box.root)
