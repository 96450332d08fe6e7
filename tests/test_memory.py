"""Memory in core: the document store, backends by name, the memory tools and retrieval."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import aimu_core
import aimu_core.hookspecs
import aimu_core.plugins
import aimu_core.tools
from aimu_core import memory
from aimu_core.agents import Agent
from aimu_core.errors import (
    MetadataError,
    PluginError,
    PluginUnavailableError,
    SandboxError,
    UnknownProviderError,
    UnsafePathError,
)
from aimu_core.memory import DocumentStore, MemoryStore, chunk_text
from aimu_core.memory.base import check_metadata
from aimu_core.records import MemoryBackend
from aimu_core.testing import Turn


@pytest.fixture
def docs(tmp_path: Path) -> DocumentStore:
    return DocumentStore(tmp_path / "notes")


def test_add_get_list_count_delete_clear(docs: DocumentStore) -> None:
    ids = docs.add(["the cat sat", "dogs bark loudly"], {"kind": "animal"})
    assert len(ids) == 2 and docs.count() == 2 == len(docs)
    assert [item.text for item in docs.get(ids)] == ["the cat sat", "dogs bark loudly"]
    assert docs.get(ids[0])[0].metadata == {"kind": "animal"}
    assert docs.get("missing.txt") == []
    (named,) = docs.add("a note", {"n": 1, "ok": True, "w": 0.5}, ids=["sub/dir/note.md"])
    assert named == "sub/dir/note.md"
    assert docs.read("sub/dir/note.md") == "a note"
    assert [i.id for i in docs.list(where={"n": 1})] == ["sub/dir/note.md"]
    assert len(docs.list(limit=2)) == 2
    docs.delete([ids[0], "never-there.txt"])
    assert docs.count() == 2
    docs.clear()
    assert docs.count() == 0 and docs.paths() == []


def test_search_ranks_documents_holding_the_rarer_query_words_first(docs: DocumentStore) -> None:
    docs.add("Paris is the capital of France", ids=["france.txt"])
    docs.add("Berlin is the capital of Germany", ids=["germany.txt"])
    docs.add("The weather is sunny", {"kind": "weather"}, ids=["weather.txt"])
    hits = docs.search("capital of France", k=5)
    assert [h.id for h in hits][:2] == ["france.txt", "germany.txt"]
    assert 0 < hits[1].score < hits[0].score <= 1
    assert docs.search("capital", where={"kind": "weather"}) == []
    assert docs.search("sunny", k=1)[0].metadata == {"kind": "weather"}
    assert docs.search("   ") == []


@pytest.mark.parametrize(
    "path", ["../outside.txt", "a/../../outside.txt", "/etc/passwd", "~/x.txt", ".", ""]
)
def test_paths_leaving_the_root_are_refused(docs: DocumentStore, path: str) -> None:
    with pytest.raises((UnsafePathError, ValueError)):
        docs.write(path, "x")
    assert not (docs.root.parent / "outside.txt").exists()


def test_a_symlink_out_of_the_root_is_refused_for_reads_and_writes(
    docs: DocumentStore, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    (docs.root / "link.txt").symlink_to(secret)
    (docs.root / "linkdir").symlink_to(tmp_path)
    with pytest.raises(UnsafePathError):
        docs.read("link.txt")
    with pytest.raises(UnsafePathError) as caught:
        docs.write("linkdir/secret.txt", "overwritten")
    assert isinstance(caught.value, SandboxError)  # one rule with the file tools
    assert secret.read_text() == "top secret"
    assert "link.txt" not in docs.paths()


def test_writes_are_atomic_and_concurrent_writers_leave_one_whole_text(
    docs: DocumentStore,
) -> None:
    texts = [str(n) * 20_000 for n in range(8)]
    threads = [threading.Thread(target=docs.write, args=("same.txt", t)) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert docs.read("same.txt") in texts
    assert docs.paths() == ["same.txt"]  # no temporary files left behind


@pytest.mark.parametrize(
    "metadata",
    [
        {"tags": ["a", "b"]},
        {"nested": {"x": 1}},
        {1: "int key"},
        {"n": None},
        {"f": float("nan")},
        "text",
    ],
)
def test_bad_metadata_is_a_typed_error(docs: DocumentStore, metadata: object) -> None:
    with pytest.raises(MetadataError):
        docs.add("x", metadata)  # type: ignore[arg-type]
    assert docs.count() == 0


def test_metadata_per_text_must_match_the_texts(docs: DocumentStore) -> None:
    with pytest.raises(MetadataError, match="2 metadata mappings for 3 texts"):
        docs.add(["a", "b", "c"], [{"n": 1}, {"n": 2}])


scalars = st.one_of(
    st.text(), st.integers(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False)
)


@given(st.dictionaries(st.text(min_size=1), scalars))
def test_valid_metadata_round_trips(metadata: dict[str, object]) -> None:
    assert check_metadata(metadata) == metadata


@given(st.dictionaries(st.text(min_size=1), st.lists(scalars) | st.none(), min_size=1))
def test_non_scalar_metadata_is_always_refused(metadata: dict[str, object]) -> None:
    with pytest.raises(MetadataError):
        check_metadata(metadata)


def test_store_opens_backends_by_name(tmp_path: Path) -> None:
    notes = memory.store(f"documents:{tmp_path / 'notes'}")
    assert isinstance(notes, DocumentStore) and isinstance(notes, MemoryStore)
    assert notes.root == (tmp_path / "notes").resolve()
    assert "documents" in memory.available()
    with pytest.raises(UnknownProviderError, match="Unknown memory backend 'documentz'"):
        memory.store("documentz:x")
    with pytest.raises(ValueError, match="backend:location"):
        memory.store("no-colon")


def test_chroma_without_its_plugin_says_what_to_install() -> None:
    if "chroma" in memory.available():
        pytest.skip("aimu-chroma is installed here; its own tests cover it")
    with pytest.raises(UnknownProviderError, match="pip install aimu-chroma"):
        memory.store("chroma:./memdir")


class _BrokenBackendPlugin:
    """A plugin whose backend's module does not import."""

    AIMU_PLUGIN_API = 1

    @aimu_core.hookspecs.hookimpl
    def aimu_memory_backends(self) -> list[MemoryBackend]:
        return [MemoryBackend(name="broken", backend="aimu_no_such_module:Store")]


def test_a_backend_that_fails_to_load_names_its_plugin_and_cause() -> None:
    plugin = _BrokenBackendPlugin()
    aimu_core.plugins.register(plugin)
    try:
        with pytest.raises(PluginError, match="'broken'.*aimu_no_such_module.*ModuleNotFoundError"):
            memory.store("broken:x")
    finally:
        aimu_core.plugins.unregister(plugin)


def test_memory_tools_by_name_and_an_agent_using_them_end_to_end(docs: DocumentStore) -> None:
    tools = aimu_core.tools.select("memory", store=docs)
    assert [t.__name__ for t in tools] == ["forget", "recall", "remember"]
    client = aimu_core.client(
        "scripted:scripted",
        script=[
            Turn(
                tool_calls=[
                    ("remember", {"text": "The user's cat is called Mochi", "topic": "pets"})
                ]
            ),
            Turn("Noted."),
            Turn(tool_calls=[("recall", {"query": "cat name"})]),
            Turn("Your cat is called Mochi."),
        ],
    )
    agent = Agent(client, tools=tools)
    assert agent.run("Remember that my cat is called Mochi") == "Noted."
    (item,) = docs.list()
    assert item.text == "The user's cat is called Mochi" and item.metadata == {"topic": "pets"}
    assert agent.run("What is my cat called?") == "Your cat is called Mochi."
    recalled = [m for m in client.messages if m.get("role") == "tool" and m["name"] == "recall"]
    assert "Mochi" in recalled[-1]["content"]

    forget = aimu_core.tools.get("memory.forget", store=docs)
    assert forget(item.id) == f"forgot {item.id}"
    assert docs.count() == 0
    assert "there is no memory" in forget(item.id)


def test_memory_tools_need_a_store() -> None:
    with pytest.raises(ValueError, match="need a store"):
        aimu_core.tools.get("memory.recall")


def test_chunks_overlap_cut_at_breaks_and_cover_the_text() -> None:
    text = "\n\n".join(f"Paragraph {n}. " + "word " * 60 for n in range(6))
    chunks = chunk_text(text, size=300, overlap=50)
    assert all(len(c) <= 300 for c in chunks) and len(chunks) > 3
    assert chunks[0].startswith("Paragraph 0.")
    for word in {w for w in text.split()}:
        assert any(word in c for c in chunks)
    with pytest.raises(ValueError):
        chunk_text("x", size=10, overlap=10)


@given(
    st.lists(st.from_regex(r"[a-z]{1,10}", fullmatch=True), max_size=300),
    st.integers(40, 400),
    st.integers(0, 39),
)
def test_chunking_keeps_every_word_and_the_size_limit(
    words: list[str], size: int, overlap: int
) -> None:
    chunks = chunk_text(" ".join(words), size=size, overlap=overlap)
    assert all(0 < len(c) <= size for c in chunks)
    found = {w for c in chunks for w in c.split()}
    assert set(words) <= found


def test_index_and_ask_answer_with_the_cited_chunks(tmp_path: Path) -> None:
    sources = DocumentStore(tmp_path / "sources")
    sources.write("paris.md", "Paris is the capital of France. It has the Eiffel Tower.")
    sources.write("rome.md", "Rome is the capital of Italy. It has the Colosseum.")
    chunks = DocumentStore(tmp_path / "chunks")
    ids = memory.index(chunks, sources, size=200, overlap=20)
    assert sorted(ids) == ["paris.md#0", "rome.md#0"]
    assert memory.index(chunks, {"paris.md": "Paris is in France."}) == ["paris.md#0"]
    assert chunks.count() == 2  # re-indexing a source replaces its chunks

    client = aimu_core.client("scripted:scripted", script=[Turn("Rome is Italy's capital [1].")])
    answer = memory.ask(client, chunks, "capital of Italy", k=2)
    assert str(answer) == "Rome is Italy's capital [1]."
    assert [hit.metadata["source"] for hit in answer.citations] == ["rome.md"]
    assert not answer.uncited
    assert client.messages == []  # asked with generate(): the conversation is untouched


def test_an_uncited_answer_keeps_every_retrieved_chunk(tmp_path: Path) -> None:
    chunks = DocumentStore(tmp_path / "chunks")
    memory.index(chunks, {"a.md": "apples are red", "b.md": "apples are green"})
    client = aimu_core.client("scripted:scripted", script=[Turn("Apples vary.")])
    answer = memory.ask(client, chunks, "apples")
    assert answer.uncited and len(answer.citations) == 2


def test_semantic_memory_store_without_aimu_chroma_names_the_plugin() -> None:
    code = (
        "import sys; sys.modules['aimu_chroma'] = None\n"
        "import aimu_core.memory as m\n"
        "try:\n    m.SemanticMemoryStore\nexcept Exception as e:\n    print(type(e).__name__, e)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith(PluginUnavailableError.__name__)
    assert "pip install aimu-chroma" in out.stdout


def test_memory_is_cheap_to_import() -> None:
    code = "import sys, aimu_core.memory; print([m for m in ('chromadb', 'tinydb') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
