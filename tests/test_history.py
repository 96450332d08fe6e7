"""Conversation history: whole-state saves, binding, and the journal under crashes and sharing.

Real TinyDB files in a temp dir; real processes for the crash and sharing tests
(a writer killed with SIGKILL at random points, two writers at once).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from tinydb import TinyDB

import aimu_core
from aimu_core.errors import HistoryCorruptError, HistoryError, ProviderError
from aimu_core.history import ConversationManager, JournalStorage
from aimu_core.testing.scripted import Turn


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "history.jsonl"


def test_messages_is_a_copy_and_a_new_manager_reads_what_was_saved(path: Path) -> None:
    manager = ConversationManager(path)
    assert manager.messages == [] and manager.conversation_id is None
    saved = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    manager.update_conversation(saved)
    manager.messages[0]["content"] = "changed"
    manager.messages.append({"role": "user", "content": "x"})
    assert manager.messages == saved

    again = ConversationManager(path, use_last_conversation=True)
    assert again.conversation_id == manager.conversation_id
    assert again.messages == saved
    assert ConversationManager(path).messages == []  # not continuing: no current conversation


def test_create_new_conversation_switches_and_the_last_updated_is_continued(path: Path) -> None:
    manager = ConversationManager(path)
    first, messages = manager.create_new_conversation()
    assert messages == [] and manager.conversation_id == first
    manager.update_conversation([{"role": "user", "content": "one"}])
    second, _ = manager.create_new_conversation()
    assert second != first and manager.conversation_id == second
    manager.update_conversation([{"role": "user", "content": "two"}])
    assert ConversationManager(path, use_last_conversation=True).conversation_id == second


def test_resets_and_system_message_edits_are_kept(path: Path) -> None:
    manager = ConversationManager(path)
    client = aimu_core.client("scripted:echo", system_message="be brief")
    manager.bind(client)
    client.chat("one")
    client.chat("two")
    client.system_message = "be verbose"
    client.chat("three")
    assert ConversationManager(path, use_last_conversation=True).messages == client.messages
    assert manager.messages[0] == {"role": "system", "content": "be verbose"}
    client.reset()
    client.chat("after reset")
    stored = ConversationManager(path, use_last_conversation=True).messages
    assert stored == client.messages
    assert [m["content"] for m in stored] == ["be verbose", "after reset", "after reset"]


def test_a_failed_turn_saves_nothing(path: Path) -> None:
    manager = ConversationManager(path)
    client = aimu_core.client(
        "scripted:scripted", script=[Turn("fine"), Turn(fail="server_error"), Turn("again")]
    )
    manager.bind(client)
    client.chat("first")
    with pytest.raises(ProviderError):
        client.chat("second")
    assert manager.messages == client.messages
    assert len(client.messages) == 2
    client.chat("third")
    assert ConversationManager(path, use_last_conversation=True).messages == client.messages


def test_an_abandoned_stream_saves_nothing(path: Path) -> None:
    manager = ConversationManager(path)
    client = aimu_core.client("scripted:echo")
    manager.bind(client)
    client.chat("kept")
    stream = client.chat("dropped", stream=True)
    next(stream)
    stream.close()
    assert (
        manager.messages
        == client.messages
        == [
            {"role": "user", "content": "kept"},
            {"role": "assistant", "content": "kept"},
        ]
    )


def test_a_failed_save_fails_the_turn_and_rolls_it_back(path: Path) -> None:
    manager = ConversationManager(path)
    client = aimu_core.client("scripted:echo")
    manager.bind(client)
    client.chat("saved")
    client.messages.append({"role": "user", "content": b"bytes are not JSON"})
    with pytest.raises(HistoryError, match="only JSON values"):
        client.chat("next")
    assert client.messages[-1]["content"] == b"bytes are not JSON"  # the turn rolled back
    assert manager.messages == client.messages[:-1]


def test_bind_restores_the_conversation_and_unbind_stops_saving(path: Path) -> None:
    manager = ConversationManager(path)
    manager.update_conversation(
        [
            {"role": "system", "content": "stored system"},
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": "b"},
        ]
    )
    client = aimu_core.client("scripted:echo")
    manager.bind(client)
    assert client.system_message == "stored system"
    assert [m["content"] for m in client.messages] == ["stored system", "a", "b"]
    manager.unbind(client)
    client.chat("unsaved")
    assert len(manager.messages) == 3


def test_list_rename_delete_and_export(path: Path) -> None:
    manager = ConversationManager(path)
    manager.update_conversation([{"role": "user", "content": "what is the weather " * 10}])
    first = manager.conversation_id
    manager.create_new_conversation(title="second", model="scripted:echo")
    manager.update_conversation([{"role": "user", "content": "hi"}])
    rows = manager.list_conversations()
    assert [r.title for r in rows] == ["second", rows[1].title]
    assert rows[1].title.startswith("what is the weather") and len(rows[1].title) <= 60
    assert manager.list_conversations(limit=1)[0].model == "scripted:echo"

    manager.rename_conversation(first, "weather")
    exported = json.loads(manager.export_json(first))
    assert exported["title"] == "weather" and exported["id"] == first
    assert exported["messages"][0]["content"].startswith("what is")

    manager.delete_conversation(first)
    assert [r.id for r in ConversationManager(path).list_conversations()] == [
        manager.conversation_id
    ]
    with pytest.raises(HistoryError, match="no conversation"):
        manager.load_conversation(first)
    with pytest.raises(HistoryError, match="no conversation"):
        manager.rename_conversation(first, "gone")


@pytest.mark.parametrize(
    "content",
    [b"not json at all\n", b'{}\n{"a": 1}\n', b'{}\n[["nope", 1]]\n', b"[1, 2]\n"],
    ids=["garbage", "object-after-snapshot", "unknown-op", "no-snapshot"],
)
def test_a_corrupt_file_is_a_typed_error_naming_it_and_is_never_overwritten(
    path: Path, content: bytes
) -> None:
    path.write_bytes(content)
    with pytest.raises(HistoryCorruptError) as caught:
        ConversationManager(path).list_conversations()
    assert caught.value.path == str(path)
    assert str(path) in str(caught.value)
    manager = ConversationManager(path)
    with pytest.raises(HistoryCorruptError):
        manager.update_conversation([{"role": "user", "content": "hi"}])
    with pytest.raises(HistoryCorruptError):
        manager.create_new_conversation()
    assert path.read_bytes() == content


def test_a_torn_last_line_is_ignored_and_cut_by_the_next_writer(path: Path) -> None:
    manager = ConversationManager(path)
    manager.update_conversation([{"role": "user", "content": "acknowledged"}])
    with path.open("ab") as file:
        file.write(b'[["splice","conversations","1","messages",1,[{"role":"us')
    again = ConversationManager(path, use_last_conversation=True)
    assert again.messages == [{"role": "user", "content": "acknowledged"}]
    again.update_conversation([*again.messages, {"role": "assistant", "content": "next"}])
    assert ConversationManager(path, use_last_conversation=True).messages[-1]["content"] == "next"
    assert b'"role":"us' + b"\n" not in path.read_bytes()


def test_compaction_keeps_everything_and_leaves_a_tinydb_json_file(path: Path) -> None:
    manager = ConversationManager(path, compact_bytes=1)
    messages: list[dict[str, str]] = []
    for turn in range(30):
        messages += [{"role": "user", "content": f"q{turn}"}, {"role": "assistant", "content": "a"}]
        manager.update_conversation(messages)
    lines = path.read_bytes().splitlines()
    assert len(lines) < 30  # compacted along the way
    assert ConversationManager(path, use_last_conversation=True).messages == messages
    # A compacted file (one snapshot line) is what TinyDB's JSONStorage reads.
    manager._storage._compact()
    with TinyDB(path) as plain:
        assert plain.table("conversations").all()[0]["messages"] == messages


def test_tinydb_updates_and_removals_through_the_storage_persist(path: Path) -> None:
    db = TinyDB(path, storage=JournalStorage)
    table = db.table("notes")
    table.insert({"n": 1})
    doc_id = table.insert({"n": 2})
    table.update({"n": 20}, doc_ids=[doc_id])
    table.remove(doc_ids=[1])
    db.drop_table("empty-never-used")
    other = TinyDB(path, storage=JournalStorage)
    assert [dict(d) for d in other.table("notes").all()] == [{"n": 20}]
    db.drop_table("notes")
    assert TinyDB(path, storage=JournalStorage).tables() == set()


def test_threads_sharing_one_manager_lose_nothing(path: Path) -> None:
    manager = ConversationManager(path)
    ids = [manager.create_new_conversation()[0] for _ in range(4)]
    errors: list[BaseException] = []

    def work(cid: int) -> None:
        try:
            mine = ConversationManager(path)
            mine.load_conversation(cid)
            messages: list[dict[str, str]] = []
            for turn in range(40):
                messages.append({"role": "user", "content": f"{cid}-{turn}"})
                mine.update_conversation(messages)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(cid,)) for cid in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    fresh = ConversationManager(path)
    for cid in ids:
        assert [m["content"] for m in fresh.load_conversation(cid)] == [
            f"{cid}-{t}" for t in range(40)
        ]


# -- processes -----------------------------------------------------------------------------

_WRITER = """
import sys
from aimu_core.history import ConversationManager

path, saves, compact = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
manager = ConversationManager(path, compact_bytes=compact or None)
cid, _ = manager.create_new_conversation()
print("cid", cid, flush=True)
messages = []
for turn in range(saves):
    messages += [{"role": "user", "content": f"q{turn}"}, {"role": "assistant", "content": f"a{turn}"}]
    manager.update_conversation(messages)
    print("ack", turn, flush=True)
"""


def _writer(path: Path, saves: int, compact: int = 0) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path), str(saves), str(compact)],
        stdout=subprocess.PIPE,
        text=True,
    )


def _expected(turns: int) -> list[dict[str, str]]:
    messages = []
    for turn in range(turns):
        messages += [
            {"role": "user", "content": f"q{turn}"},
            {"role": "assistant", "content": f"a{turn}"},
        ]
    return messages


def test_a_writer_killed_at_random_points_never_loses_an_acknowledged_turn(path: Path) -> None:
    rng = random.Random(1234)
    acked_by_cid: dict[int, int] = {}
    for run in range(20):
        # Small compaction thresholds on some runs, so kills land inside compactions too.
        writer = _writer(path, 1000, compact=rng.choice([0, 2_000, 20_000]))
        assert writer.stdout is not None
        cid = int(writer.stdout.readline().split()[1])
        stop_after = rng.randrange(0, 1000)
        acked = 0
        for line in writer.stdout:
            acked = int(line.split()[1]) + 1
            if acked > stop_after:
                break
        writer.send_signal(signal.SIGKILL)
        acked += sum(1 for _ in writer.stdout)  # acks printed before the kill landed
        writer.stdout.close()
        writer.wait()
        acked_by_cid[cid] = acked

        manager = ConversationManager(path)  # the file always loads...
        assert {row.id for row in manager.list_conversations()} >= set(acked_by_cid), run
        for known, count in acked_by_cid.items():  # ...with every acknowledged turn
            stored = manager.load_conversation(known)
            assert stored[: 2 * count] == _expected(count), (run, known)
            assert stored == _expected(len(stored) // 2)  # and nothing scrambled


def test_two_processes_appending_to_different_conversations_lose_nothing(path: Path) -> None:
    writers = [_writer(path, 150, compact=4_000) for _ in range(2)]
    outputs = [w.communicate(timeout=120)[0] for w in writers]
    assert [w.returncode for w in writers] == [0, 0]
    cids = [int(out.split()[1]) for out in outputs]
    assert len(set(cids)) == 2
    manager = ConversationManager(path)
    for cid in cids:
        assert manager.load_conversation(cid) == _expected(150)


def test_history_is_not_imported_with_aimu_core() -> None:
    code = "import sys, aimu_core, aimu_core.history; print('tinydb' in sys.modules, 'filelock' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_the_default_path_follows_aimu_data_dir_then_xdg(monkeypatch: pytest.MonkeyPatch) -> None:
    from aimu_core.history import default_history_path

    monkeypatch.setenv("AIMU_DATA_DIR", "/somewhere/aimu")
    assert default_history_path() == Path("/somewhere/aimu/history.jsonl")
    monkeypatch.delenv("AIMU_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", "/xdg")
    if sys.platform != "win32":
        assert default_history_path() == Path("/xdg/aimu/history.jsonl")
    assert os.sep in str(default_history_path())
