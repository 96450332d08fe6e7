"""PromptCatalog: versions per (name, full model id), JSON metrics, several processes at once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

import aimu_core
from aimu_core.errors import ConfigurationError
from aimu_core.prompts import PromptCatalog, model_id


@pytest.fixture
def catalog(tmp_path: Path) -> PromptCatalog:
    return PromptCatalog(tmp_path / "prompts.db")


def test_versions_count_up_per_name_and_full_model_id(catalog: PromptCatalog) -> None:
    a1 = catalog.save("summary", "ollama:qwen3:8b", "Summarize: {content}", {"accuracy": 0.5})
    a2 = catalog.save("summary", "ollama:qwen3:8b", "Briefly summarize: {content}")
    b1 = catalog.save("summary", "ollama:qwen3:4b", "Sum up: {content}")
    assert (a1.version, a2.version, b1.version) == (1, 2, 1)
    # The full id is the key: upstream kept only the first letter ("o" for both).
    assert a1.model_id == "ollama:qwen3:8b" and b1.model_id == "ollama:qwen3:4b"
    latest = catalog.get("summary", "ollama:qwen3:8b")
    assert latest is not None and latest.prompt == "Briefly summarize: {content}"
    first = catalog.get("summary", "ollama:qwen3:8b", version=1)
    assert first is not None and first.metrics == {"accuracy": 0.5}
    assert catalog.get("summary", "ollama:qwen3:8b", version=3) is None
    assert catalog.get("other", "ollama:qwen3:8b") is None
    assert [p.version for p in catalog.history("summary", "ollama:qwen3:8b")] == [1, 2]
    assert [(p.model_id, p.version) for p in catalog.list()] == [
        ("ollama:qwen3:4b", 1),
        ("ollama:qwen3:8b", 2),
    ]


def test_delete_one_version_one_model_or_all(catalog: PromptCatalog) -> None:
    for model in ("a:x", "a:x", "b:y"):
        catalog.save("p", model, "text")
    assert catalog.delete("p", "a:x", version=2) == 1
    assert [p.version for p in catalog.history("p", "a:x")] == [1]
    assert catalog.save("p", "a:x", "again").version == 2  # max + 1 after a delete
    assert catalog.delete("p", "a:x") == 2
    assert catalog.delete("p") == 1
    assert catalog.list() == []


def test_the_model_id_of_a_client_string_and_spec() -> None:
    client = aimu_core.client("scripted:scripted@http://user:pw@127.0.0.1:1")
    assert model_id(client) == "scripted:scripted"  # no URL, so no credentials either
    assert model_id(client.client) == "scripted:scripted"
    assert model_id("openai-compat:m@http://h/v1;tools") == "openai-compat:m"
    assert model_id(client.model) == "scripted"
    with pytest.raises(ConfigurationError, match="model id"):
        model_id(42)


def test_bad_input_is_refused_with_the_fix(catalog: PromptCatalog, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="JSON"):
        catalog.save("p", "a:b", "text", {"bad": object()})
    with pytest.raises(ConfigurationError, match="JSON"):
        catalog.save("p", "a:b", "text", {"nan": float("nan")})
    with pytest.raises(ConfigurationError, match="name"):
        catalog.save(" ", "a:b", "text")
    with pytest.raises(ConfigurationError, match="version"):
        catalog.get("p", "a:b", version=0)
    assert catalog.list() == []  # nothing half-saved
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ConfigurationError, match="not a usable prompt catalog"):
        PromptCatalog(junk)
    with pytest.raises(ConfigurationError, match="cannot open"):
        PromptCatalog(tmp_path / "missing-dir" / "p.db")


def test_the_file_is_in_wal_mode(catalog: PromptCatalog) -> None:
    with closing(sqlite3.connect(catalog.db_path)) as db:  # `with connection` does not close it
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


_WRITER = """
import sys
from aimu_core.prompts import PromptCatalog
catalog = PromptCatalog(sys.argv[1])
for i in range(int(sys.argv[3])):
    catalog.save("shared", "m:1", f"{sys.argv[2]}-{i}", {"i": i})
"""


def test_processes_saving_at_once_get_distinct_consecutive_versions(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"  # not created yet: the writers race to create it too
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(path), f"w{n}", "25"])
        for n in range(4)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0, 0]
    history = PromptCatalog(path).history("shared", "m:1")
    assert [p.version for p in history] == list(range(1, 101))
    assert sorted(p.prompt for p in history) == sorted(
        f"w{n}-{i}" for n in range(4) for i in range(25)
    )


def test_threads_sharing_one_catalog(catalog: PromptCatalog) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        saved = list(pool.map(lambda i: catalog.save("t", "m:1", str(i)).version, range(40)))
    assert sorted(saved) == list(range(1, 41))


def test_a_writer_killed_mid_write_leaves_a_consistent_catalog(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    PromptCatalog(path)
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(path), "k", "100000"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(PromptCatalog(path).history("shared", "m:1")) < 20:
        time.sleep(0.05)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    catalog = PromptCatalog(path)
    versions = [p.version for p in catalog.history("shared", "m:1")]
    assert versions == list(range(1, len(versions) + 1)) and len(versions) >= 20
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert catalog.save("shared", "m:1", "after").version == len(versions) + 1
