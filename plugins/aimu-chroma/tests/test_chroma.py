"""SemanticMemoryStore on a real ChromaDB with the real all-MiniLM-L6-v2 embedder."""

from __future__ import annotations

import gc
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from aimu_chroma import SemanticMemoryStore

import aimu_core
from aimu_core import memory
from aimu_core.errors import MemoryStoreError, MetadataError

MODEL = "hf:all-minilm-l6-v2"


@pytest.fixture(scope="session")
def minilm() -> Any:
    """The real MiniLM embedder, loaded once for the session."""
    return aimu_core.embedding_client(MODEL)


class Counting:
    """The real embedder, counting the texts it is asked to embed (to see the cache work)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.texts, self.calls = inner, 0, 0
        self.model_string = inner.model_string
        self.dimensions = inner.dimensions

    def embed(self, texts: list[str], batch_size: int | None = None) -> list[list[float]]:
        self.texts += len(texts)
        self.calls += 1
        return self.inner.embed(texts, batch_size=batch_size)


class Hashing:
    """A different embedding model: 8 dimensions from character counts."""

    model_string = "test:hashing-8"
    dimensions = 8

    def embed(self, texts: list[str], batch_size: int | None = None) -> list[list[float]]:
        return [[float(text.count(c)) + 1.0 for c in "aeiostnr"] for text in texts]


@pytest.fixture
def store(tmp_path: Path, minilm: Any) -> SemanticMemoryStore:
    return SemanticMemoryStore(str(tmp_path / "memdir"), embedder=minilm)


def test_related_texts_rank_above_unrelated_ones(store: SemanticMemoryStore) -> None:
    store.add(
        [
            "The cat sleeps on the warm sofa all afternoon.",
            "Paris is the capital and largest city of France.",
            "Quarterly revenue grew by twelve percent.",
            "Kittens love to nap in sunny spots.",
        ]
    )
    hits = store.search("Where do cats like to sleep?", k=4)
    assert {h.text for h in hits[:2]} == {
        "The cat sleeps on the warm sofa all afternoon.",
        "Kittens love to nap in sunny spots.",
    }
    assert all(0.0 <= h.score <= 1.0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert store.search("French capital city", k=1)[0].text.startswith("Paris")


def test_add_get_list_delete_count_clear_and_where(store: SemanticMemoryStore) -> None:
    ids = store.add(["alpha note", "beta note"], [{"topic": "a", "n": 1}, {"topic": "b", "n": 2}])
    (given,) = store.add("gamma note", {"topic": "a", "ok": True, "w": 0.5}, ids=["g-1"])
    assert given == "g-1" and store.count() == 3 == len(store)
    assert [i.text for i in store.get([ids[1], "nope", ids[0]])] == ["beta note", "alpha note"]
    assert store.get("g-1")[0].metadata == {"topic": "a", "ok": True, "w": 0.5}
    assert {i.id for i in store.list(where={"topic": "a"})} == {ids[0], "g-1"}
    assert [h.id for h in store.search("note", k=5, where={"topic": "a", "n": 1})] == [ids[0]]
    assert len(store.list(limit=2)) == 2
    store.add("alpha note, revised", {"topic": "a"}, ids=[ids[0]])  # same id: replaced
    assert store.count() == 3 and store.get(ids[0])[0].text == "alpha note, revised"
    store.delete([ids[1], "never-there"])
    assert store.count() == 2
    store.clear()
    assert store.count() == 0 and store.search("note") == []


def test_bad_metadata_types_are_typed_errors_and_store_nothing(store: SemanticMemoryStore) -> None:
    for bad in ({"tags": ["a"]}, {"nested": {"x": 1}}, {"none": None}, {3: "int key"}):
        with pytest.raises(MetadataError):
            store.add("text", bad)  # type: ignore[arg-type]
    with pytest.raises(MetadataError):
        store.search("text", where={"tags": ["a"]})
    assert store.count() == 0


def test_concurrent_adds_from_threads_lose_nothing(store: SemanticMemoryStore) -> None:
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for n in range(15):
                store.add(f"worker {worker} remembers fact number {n}", {"worker": worker})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert store.count() == 90
    assert len(store.list(where={"worker": 3})) == 15


def test_the_store_persists_across_processes(tmp_path: Path, minilm: Any) -> None:
    folder = tmp_path / "shared"
    first = SemanticMemoryStore(str(folder), embedder=minilm)
    first.add(["The meeting moved to Thursday at 10am.", "Bananas are rich in potassium."])
    code = (
        "import json, sys\n"
        "from aimu_core import memory\n"
        f"s = memory.store('chroma:' + sys.argv[1], embedder={MODEL!r})\n"
        "s.add('The invoice is due on the first of May.', {'from': 'child'})\n"
        "print(json.dumps([h.text for h in s.search('When is the meeting?', k=1)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(folder)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [
        "The meeting moved to Thursday at 10am."
    ]
    reopened = SemanticMemoryStore(str(folder), embedder=minilm)
    assert reopened.count() == 3
    assert reopened.search("payment deadline", k=1)[0].metadata == {"from": "child"}


def test_reopening_with_another_embedders_dimensions_is_a_clear_error(
    tmp_path: Path, minilm: Any
) -> None:
    folder = str(tmp_path / "memdir")
    SemanticMemoryStore(folder, embedder=minilm).add("stored with MiniLM")
    with pytest.raises(
        MemoryStoreError, match=r"384-dimension.*all-minilm.*test:hashing-8 makes 8"
    ):
        SemanticMemoryStore(folder, embedder=Hashing())
    other = SemanticMemoryStore(folder, embedder=Hashing(), collection="hashed")  # a new one: fine
    other.add("hello")
    assert other.count() == 1
    assert SemanticMemoryStore(folder, embedder=minilm).count() == 1  # untouched


def test_texts_already_seen_are_not_embedded_again(tmp_path: Path, minilm: Any) -> None:
    counting = Counting(minilm)
    store = SemanticMemoryStore(str(tmp_path / "memdir"), embedder=counting)
    store.add(["one fact", "two facts", "one fact"])
    assert (counting.calls, counting.texts) == (1, 2)  # one batch, duplicates once
    store.add(["two facts", "three facts"])
    store.search("one fact")
    assert counting.texts == 3


def test_store_by_name_through_the_hook(tmp_path: Path) -> None:
    assert "chroma" in memory.available()
    notes = memory.store(f"chroma:{tmp_path / 'memdir'}", embedder=MODEL)
    assert isinstance(notes, SemanticMemoryStore)
    notes.add("The password manager is called Vault.")
    assert notes.search("which password tool?", k=1)[0].text.startswith("The password")


def test_without_an_embedding_model_the_error_says_what_to_install(tmp_path: Path) -> None:
    code = (
        "from aimu_chroma import SemanticMemoryStore\n"
        "try:\n"
        f"    SemanticMemoryStore({str(tmp_path / 'memdir')!r})\n"
        "except Exception as e:\n"
        "    print(type(e).__name__, e)\n"
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AIMU_")}
    environ["AIMU_DISABLE_PLUGINS"] = "aimu-hf"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environ, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("MemoryStoreError")
    assert "aimu-hf[default-embeddings]" in done.stdout and "AIMU_EMBEDDING_MODEL" in done.stdout


def test_memory_tools_and_an_agent_on_semantic_memory(store: SemanticMemoryStore) -> None:
    from aimu_core.agents import Agent
    from aimu_core.testing import Turn

    aimu_core.plugins.register(aimu_core.testing.scripted)
    try:
        client = aimu_core.client(
            "scripted:scripted",
            script=[
                Turn(tool_calls=[("remember", {"text": "Ada's favourite colour is green"})]),
                Turn("Saved."),
                Turn(tool_calls=[("recall", {"query": "What colour does Ada like?", "k": 1})]),
                Turn("Green."),
            ],
        )
        agent = Agent(client, tools=memory.memory_tools(store))
        agent.run("Remember: Ada likes green")
        assert agent.run("What colour does Ada like?") == "Green."
        recalled = [m for m in client.messages if m.get("role") == "tool"][-1]["content"]
        assert "green" in recalled
    finally:
        aimu_core.plugins.unregister(aimu_core.testing.scripted)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Any:
    """A real Chroma server (the `chroma run` of the chromadb package) on loopback."""
    cli = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    port = _free_port()
    server = subprocess.Popen(
        [
            cli,
            "run",
            "--path",
            str(tmp_path / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=30)
    gc.collect()  # chromadb's leaked sockets (below) are reported now, inside this test


# chromadb 1.5's HttpClient keeps a second httpx session (an internal system of its own)
# that close() never closes; its socket is reported when collected. Not aimu's to fix.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_a_chroma_server_through_http_client(chroma_server: str, minilm: Any) -> None:
    with SemanticMemoryStore(chroma_server, embedder=minilm) as remote:
        remote.add(["Tea is brewed from leaves.", "Rust is a systems language."])
        assert remote.search("programming", k=1)[0].text.startswith("Rust")
    with memory.store(f"chroma:{chroma_server}", embedder=minilm) as again:
        assert again.count() == 2


def test_an_unreachable_server_is_a_memory_store_error(minilm: Any) -> None:
    with pytest.raises(MemoryStoreError, match="Chroma"):
        SemanticMemoryStore(f"http://127.0.0.1:{_free_port()}", embedder=minilm)
