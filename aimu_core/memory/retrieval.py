"""Retrieval: split documents into chunks, store them, and answer questions citing the chunks.

``index(store, documents)`` splits each document (``{source: text}``, or a
:class:`~aimu_core.memory.documents.DocumentStore`'s files) into overlapping
chunks on paragraph and sentence boundaries and adds them to *store* with
``source`` and ``chunk`` metadata. ``ask(client, store, question)`` searches
the store, gives the model the best chunks numbered ``[1]``, ``[2]`` ... and
returns its answer with the chunks it cited (all retrieved chunks when it
cited none, flagged so).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigurationError
from .base import MemoryHit, MemoryStore

__all__ = ["Answer", "ask", "chunk_text", "index"]

_BREAKS = ("\n\n", "\n", ". ", " ")
_CITATION = re.compile(r"\[(\d{1,3})\]")

_PROMPT = """Answer the question using only the numbered sources below. Cite the sources \
you use with their numbers in brackets, like [1]. If the sources do not answer it, say so.

{sources}

Question: {question}"""


def chunk_text(text: str, size: int = 800, overlap: int = 100) -> list[str]:
    """*text* in pieces of at most *size* characters, each repeating up to *overlap*
    characters of the one before, cut at a paragraph, line, sentence or word break
    where there is one in the second half of the piece."""
    if size <= 0 or not 0 <= overlap < size:
        raise ConfigurationError("chunk size must be > 0 and 0 <= overlap < size")
    text = text.strip()
    chunks: list[str] = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            for mark in _BREAKS:
                cut = text.rfind(mark, start + size // 2, end)
                if cut != -1:
                    end = cut + len(mark)
                    break
        piece = text[start:end].strip()
        if piece:
            chunks.append(piece)
        if end >= len(text):
            break
        start = max(end - overlap, start + 1)
    return chunks


def index(
    store: MemoryStore,
    documents: Mapping[str, str] | Any,
    *,
    size: int = 800,
    overlap: int = 100,
) -> list[str]:
    """Chunk every document and add the chunks to *store*; return their ids.

    *documents* maps a source name to its text, or is a ``DocumentStore``
    (each file is a document, its path the source). A source indexed before is
    replaced: its old chunks are deleted first.
    """
    if not isinstance(documents, Mapping):
        paths = getattr(documents, "paths", None)
        if paths is None:
            raise ConfigurationError(
                "documents must be a {source: text} mapping or a DocumentStore"
            )
        documents = {path: documents.read(path) for path in paths()}
    ids: list[str] = []
    for source, text in documents.items():
        old = [item.id for item in store.list(where={"source": source})]
        if old:
            store.delete(old)
        chunks = chunk_text(text, size, overlap)
        if chunks:
            metadata = [{"source": source, "chunk": i} for i in range(len(chunks))]
            ids += store.add(
                chunks, metadata, ids=[_chunk_id(source, i) for i in range(len(chunks))]
            )
    return ids


@dataclass(frozen=True)
class Answer:
    """The model's answer and the chunks behind it."""

    text: str
    citations: list[MemoryHit] = field(default_factory=list)
    #: The model cited no source by number: ``citations`` holds every chunk it was given.
    uncited: bool = False

    def __str__(self) -> str:
        return self.text


def ask(
    client: Any, store: MemoryStore, question: str, *, k: int = 4, **chat_options: Any
) -> Answer:
    """Answer *question* from *store*: retrieve *k* chunks, ask *client*, keep what it cites.

    The question is asked with :meth:`generate` (the client's conversation is
    not touched).
    """
    hits = store.search(question, k=k)
    if not hits:
        return Answer("The memory holds nothing about that.", [], uncited=True)
    sources = "\n\n".join(
        f"[{n}] ({hit.metadata.get('source', hit.id)}) {hit.text}" for n, hit in enumerate(hits, 1)
    )
    text = client.generate(_PROMPT.format(sources=sources, question=question), **chat_options)
    cited = sorted({int(n) for n in _CITATION.findall(text) if 1 <= int(n) <= len(hits)})
    if not cited:
        return Answer(text, list(hits), uncited=True)
    return Answer(text, [hits[n - 1] for n in cited])


def _chunk_id(source: str, number: int) -> str:
    """A stable id per chunk, so indexing a source again replaces its chunks."""
    return f"{source}#{number}"
