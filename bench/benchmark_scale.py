"""``Benchmark`` wall time against the ideal: serial, threads, and Ray worker processes.

A loopback server speaks a minimal OpenAI chat-completions JSON (the one of
``bench/parallel.py``) and answers each request after a fixed delay (50 ms).
Through the real ``openai`` SDK (aimu-openai's ``openai-compat:`` provider) we
run, in one process, one benchmark of ``--rows`` rows:

* raw ``client.chat`` calls in a loop (the baseline of the per-row overhead);
* ``Benchmark.run`` serially (one thread): its per-row overhead over the raw loop;
* ``Benchmark.run`` on a thread pool (``--threads``);
* ``Benchmark.run`` on aimu-ray's ``RayExecutor`` with ``--ray-workers`` worker
  processes (a local cluster; its start-up is not counted).

Each figure is a ratio of wall time to the ideal, ``rows x delay / concurrency``.
Goals: at most 1.3x for threads and for Ray; Benchmark's serial run at most
1.05x the raw loop. On a shared or small machine the threads figure is bound by
the SDK's own CPU time per call (one core runs Python at a time): the serial
figure shows that cost per row.

    python bench/benchmark_scale.py [--rows 400] [--delay 0.05] [--threads 8] [--ray-workers 2] [--rounds 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from parallel import completion_server

SCALE_GOAL = 1.3
OVERHEAD_GOAL = 1.05


def timed(call: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def verdict(ratio: float, goal: float) -> str:
    return f"(goal <= {goal}x) {'OK' if ratio <= goal else 'OVER'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--delay", type=float, default=0.05, help="server seconds per request")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--ray-workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="serial rounds of each kind")
    args = parser.parse_args()
    if importlib.util.find_spec("aimu_openai") is None:
        print("aimu-openai is not installed: pip install -e plugins/aimu-openai")
        return 2

    import aimu_core
    from aimu_core.evals import Benchmark
    from aimu_core.prompts import ContainsScorer

    rows = [{"content": f"row {n}", "expected": "ok"} for n in range(args.rows)]
    benchmark = Benchmark("Answer: {content}", rows, ContainsScorer())
    failed = False
    with completion_server(args.delay) as server:
        model = f"openai-compat:bench@{server.url}/v1"
        client = aimu_core.client(model, max_retries=0, timeout=30)

        def raw_loop() -> None:
            for row in rows:
                client.reset()
                client.chat(f"Answer: {row['content']}", use_tools=False)

        raw_loop()  # warm-up: imports, the first connection
        # Alternating rounds, the best of each: a shared machine's load shifts between rounds.
        raws, serials = [], []
        for _ in range(args.rounds):
            cpu_start = time.process_time()
            raws.append(timed(raw_loop)[0])
            cpu_per_row = (time.process_time() - cpu_start) / args.rows
            seconds, results = timed(
                lambda: benchmark.run({"b": model}, executor=ThreadPoolExecutor(1), progress=False)
            )
            serials.append(seconds)
        raw, serial = min(raws), min(serials)
        assert results.summary["b"].pass_rate == 1.0, results
        overhead = serial / raw
        failed |= overhead > OVERHEAD_GOAL
        print(f"{args.rows} rows, server delay {args.delay * 1000:.0f} ms")
        print(f"raw client.chat loop:          {raw:7.2f} s")
        print(
            f"Benchmark serial:              {serial:7.2f} s = {overhead:.3f}x the raw loop "
            f"{verdict(overhead, OVERHEAD_GOAL)}"
        )

        figures: list[tuple[str, float, int]] = [("1 thread (serial)", serial, 1)]
        with ThreadPoolExecutor(args.threads) as pool:
            benchmark.run({"b": model}, executor=pool, progress=False)  # warm the pool's clients
            threaded, _ = timed(lambda: benchmark.run({"b": model}, executor=pool, progress=False))
        figures.append((f"threads ({args.threads})", threaded, args.threads))

        if importlib.util.find_spec("aimu_ray") is None:
            print(
                "Ray executor: skipped, aimu-ray is not installed (pip install -e plugins/aimu-ray)"
            )
        else:
            from aimu_ray import RayExecutor

            ray = RayExecutor(num_cpus=args.ray_workers)
            try:
                benchmark.run({"b": model}, executor=ray, progress=False)  # start the workers
                on_ray, _ = timed(lambda: benchmark.run({"b": model}, executor=ray, progress=False))
            finally:
                ray.shutdown()
            figures.append((f"Ray ({args.ray_workers} worker processes)", on_ray, args.ray_workers))

    floor = args.rows * cpu_per_row
    print(
        f"CPU time per raw call: {cpu_per_row * 1000:.1f} ms; one thread runs Python at a time, "
        f"so threads cannot beat {floor:.2f} s in one process"
    )
    for label, seconds, concurrency in figures:
        ideal = args.rows * args.delay / concurrency
        ratio = seconds / ideal
        goal = verdict(ratio, SCALE_GOAL) if concurrency > 1 else "(no goal: the baseline)"
        failed |= concurrency > 1 and ratio > SCALE_GOAL
        print(
            f"Benchmark on {label:<28} {seconds:7.2f} s = {ratio:.2f}x the ideal "
            f"{ideal:.2f} s {goal}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
