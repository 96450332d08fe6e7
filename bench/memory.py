"""SemanticMemoryStore against raw chromadb with the same embeddings, side by side in one run.

1. **The store's own work** (vectors precomputed): 1,000 adds, one text each, then
   100 searches. Raw: ``collection.add(ids, embeddings, documents)`` and
   ``collection.query(query_embeddings=...)``. aimu: ``store.add`` / ``store.search``
   with an embedder that looks the same precomputed vectors up. Goal: <= 1.05x raw.
2. **End to end** with the real all-MiniLM-L6-v2 (aimu-hf): the same 1,000 texts
   added in calls of 10, then 100 searches over 25 distinct questions (an agent
   asks the same things again). Raw: a Chroma ``EmbeddingFunction`` calling the
   same model for every call. aimu: one batched embedding per ``add`` and the cache
   of texts already seen. Goal: faster than raw.

Each figure is the best of --rounds runs on a fresh collection, Chroma in memory
(``--persistent``: on a folder, where every add also waits on SQLite's flush).

    python bench/memory.py [--rounds 3] [--skip-e2e] [--persistent]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

GOAL = 1.05
TEXTS, SEARCHES, DISTINCT_QUESTIONS, CALL_SIZE = 1_000, 100, 25, 10

_SUBJECTS = ["the cat", "our team", "the server", "Ada", "the garden", "the invoice", "a comet"]
_VERBS = ["moved", "grew", "failed", "was painted", "arrived", "was renamed", "slept"]
_WHEN = ["on Monday", "at noon", "last year", "after the storm", "before lunch", "in May"]


def _texts(rng: random.Random, n: int) -> list[str]:
    return [
        f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_WHEN)} (note {i})"
        for i in range(n)
    ]


class Lookup:
    """An embedder that returns precomputed vectors: the store's own work is all that is timed."""

    def __init__(self, vectors: dict[str, list[float]], model_string: str) -> None:
        self.vectors, self.model_string = vectors, model_string
        self.dimensions = len(next(iter(vectors.values())))

    def embed(self, texts: list[str], batch_size: int | None = None) -> list[list[float]]:
        return [self.vectors[t] for t in texts]


#: Chroma in memory (EphemeralClient) by default: the store's overhead, not the disk's fsyncs,
#: is what is compared (--persistent measures on a folder; each add then waits on SQLite).
PERSISTENT = False


def _client(folder: str) -> Any:
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if PERSISTENT:
        return chromadb.PersistentClient(path=folder, settings=settings)
    return chromadb.EphemeralClient(settings=settings)


def _name() -> str:
    """A fresh collection per run (in-memory clients of one process share their collections)."""
    return f"bench-{uuid.uuid4().hex[:8]}"


def _best(rounds: int, run: Callable[[str], float]) -> float:
    times = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as folder:
            times.append(run(folder))
    return min(times)


def _own_round(
    texts: list[str], queries: list[str], vectors: dict[str, Any]
) -> tuple[float, float]:
    """One round, raw and aimu interleaved op by op (alternating which goes first): a shared
    machine's load drifts, and both sides meet the same drift. Returns (raw s, aimu s)."""
    from aimu_chroma import SemanticMemoryStore

    with tempfile.TemporaryDirectory() as raw_dir, tempfile.TemporaryDirectory() as aimu_dir:
        collection = _client(raw_dir).get_or_create_collection(
            _name(), embedding_function=None, metadata={"hnsw:space": "cosine"}
        )
        store = SemanticMemoryStore(
            aimu_dir,
            client=_client(aimu_dir),
            embedder=Lookup(vectors, "bench:precomputed"),
            collection=_name(),
            cache_size=0,
        )

        def raw_add(text: str) -> None:
            collection.add(ids=[uuid.uuid4().hex], embeddings=[vectors[text]], documents=[text])

        def raw_search(query: str) -> None:
            collection.query(
                query_embeddings=[vectors[query]],
                n_results=5,
                include=["documents", "metadatas", "distances"],
            )

        def aimu_search(query: str) -> None:
            store.search(query, k=5)

        steps: list[tuple[Callable[[str], Any], Callable[[str], Any], str]] = [
            (raw_add, store.add, t) for t in texts
        ]
        steps += [(raw_search, aimu_search, q) for q in queries]
        totals = [0.0, 0.0]
        for n, (raw_op, aimu_op, arg) in enumerate(steps):
            for side in (0, 1) if n % 2 else (1, 0):
                started = time.perf_counter()
                (raw_op, aimu_op)[side](arg)
                totals[side] += time.perf_counter() - started
        store.close()
    return totals[0], totals[1]


def own_work(rounds: int, texts: list[str], queries: list[str], vectors: dict[str, Any]) -> None:
    results = [_own_round(texts, queries, vectors) for _ in range(rounds)]
    ratio = statistics.median(aimu / raw for raw, aimu in results)
    raw_s = statistics.median(raw for raw, _ in results)
    verdict = "meets" if ratio <= GOAL else "misses"
    print(
        f"own work ({len(texts)} adds + {len(queries)} searches, vectors precomputed): raw "
        f"{raw_s * 1e3:.0f} ms ({raw_s / (len(texts) + len(queries)) * 1e3:.2f} ms/op); aimu "
        f"{ratio:.3f}x raw (median of {rounds}; {verdict} the goal of <= {GOAL}x)"
    )


def end_to_end(rounds: int, texts: list[str], queries: list[str]) -> None:
    from aimu_chroma import SemanticMemoryStore
    from chromadb import Documents, EmbeddingFunction, Embeddings

    import aimu_core

    model = aimu_core.embedding_client("hf:all-minilm-l6-v2")
    model.embed(["warm up"])

    class MiniLM(EmbeddingFunction[Documents]):
        def __init__(self) -> None:
            pass

        def __call__(self, input: Documents) -> Embeddings:
            return model.embed(list(input))  # type: ignore[return-value]

        @staticmethod
        def name() -> str:
            return "bench-minilm"

    calls = [texts[i : i + CALL_SIZE] for i in range(0, len(texts), CALL_SIZE)]

    def raw(folder: str) -> float:
        collection = _client(folder).get_or_create_collection(
            _name(), embedding_function=MiniLM(), metadata={"hnsw:space": "cosine"}
        )
        started = time.perf_counter()
        for call in calls:
            collection.add(ids=[uuid.uuid4().hex for _ in call], documents=call)
        for query in queries:
            collection.query(query_texts=[query], n_results=5)
        return time.perf_counter() - started

    def aimu(folder: str) -> float:
        store = SemanticMemoryStore(
            folder, client=_client(folder), embedder=model, collection=_name()
        )
        started = time.perf_counter()
        for call in calls:
            store.add(call)
        for query in queries:
            store.search(query, k=5)
        return time.perf_counter() - started

    raw_s, aimu_s = _best(rounds, raw), _best(rounds, aimu)
    print(
        f"end to end (MiniLM, {len(texts)} texts in calls of {CALL_SIZE}, {len(queries)} searches "
        f"over {DISTINCT_QUESTIONS} questions): raw {raw_s:.2f} s, aimu {aimu_s:.2f} s: "
        f"{aimu_s / raw_s:.2f}x raw"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-e2e", action="store_true", help="only the store's own work")
    parser.add_argument(
        "--persistent", action="store_true", help="Chroma on a folder, not in memory"
    )
    args = parser.parse_args()
    global PERSISTENT
    PERSISTENT = args.persistent
    rng = random.Random(7)
    texts = _texts(rng, TEXTS)
    questions = [
        f"what happened to {rng.choice(_SUBJECTS)} {rng.choice(_WHEN)}?"
        for _ in range(DISTINCT_QUESTIONS)
    ]
    queries = [rng.choice(questions) for _ in range(SEARCHES)]
    vrng = random.Random(11)
    vectors = {t: [vrng.uniform(-1, 1) for _ in range(384)] for t in {*texts, *queries}}
    own_work(args.rounds, texts, queries, vectors)
    if not args.skip_e2e:
        end_to_end(max(1, args.rounds - 1), texts, queries)


if __name__ == "__main__":
    main()
