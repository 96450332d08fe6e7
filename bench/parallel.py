"""``Parallel`` and ``aio.Parallel`` wall time against one request's latency.

A loopback server speaks a minimal OpenAI chat-completions JSON and answers
each request after a fixed delay (200 ms). Through the real ``openai`` SDK
(the ``openai-compat:`` provider of aimu-openai), we measure in one run:

* the latency of one request through an aimu client (the baseline);
* ``Parallel.from_client(client, prompts)`` with 16 workers (a thread pool);
* ``aio.Parallel.from_client(aio_client, prompts)`` with 16 workers (a TaskGroup).

Each figure is the median of several rounds, after warm-up rounds that open
the SDK's keep-alive connections a few at a time: the loopback server listens
with a backlog of 5, and 16 connections opened at once get some of them reset
(the raw SDK too), which would measure the kernel, not aimu.

Goal: both fan-outs take at most 1.3x one request's latency.

    python bench/parallel.py [--workers 16] [--delay 0.2] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

GOAL = 1.3


def completion_server(delay: float) -> Any:
    from aimu_core.testing import LoopbackServer, Request, Response

    def handler(request: Request) -> Response:
        time.sleep(delay)  # each request is served on its own thread: delays overlap
        body = request.json() or {}
        return Response.json(
            {
                "id": "chatcmpl-bench",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", "bench"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "ok"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11},
            }
        )

    return LoopbackServer(handler)


def stages(workers: int, step: int = 4) -> list[int]:
    """Warm-up fan-out sizes growing by *step*: the connection pool grows a few at a time."""
    return sorted({*range(step, workers, step), workers})


def median_seconds(call: Callable[[], Any], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument(
        "--delay", type=float, default=0.2, help="seconds the server waits per request"
    )
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    if importlib.util.find_spec("aimu_openai") is None:
        print(
            "aimu-openai is not installed: pip install -e plugins/aimu-openai (the benchmark "
            "drives the real openai SDK through its openai-compat: provider)"
        )
        return 2

    import aimu_core
    from aimu_core import aio
    from aimu_core.agents import Parallel

    prompts = [f"You are worker {i}." for i in range(args.workers)]
    options = {"api_key": "bench", "max_retries": 0, "timeout": 30}
    with completion_server(args.delay) as server:
        model = f"openai-compat:bench@{server.url}/v1"
        client = aimu_core.client(model, **options)

        def one_request() -> None:
            client.reset()
            client.chat("hello")

        one_request()  # warm-up: imports, the first connection
        single = median_seconds(one_request, args.rounds)

        for size in stages(args.workers):  # the forks share the client's connection pool
            Parallel.from_client(client, prompts[:size]).run("hello")
        parallel = Parallel.from_client(client, prompts)
        threaded = median_seconds(lambda: parallel.run("hello"), args.rounds)

        async def async_rounds() -> float:
            aclient = aio.client(model, **options)
            for size in stages(args.workers):
                await aio.Parallel.from_client(aclient, prompts[:size]).run("hello")
            aparallel = aio.Parallel.from_client(aclient, prompts)
            samples = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                await aparallel.run("hello")
                samples.append(time.perf_counter() - start)
            return statistics.median(samples)

        tasks = asyncio.run(async_rounds())

    print(
        f"one request through aimu (server delay {args.delay * 1000:.0f} ms): "
        f"{single * 1000:.1f} ms"
    )
    failed = False
    for label, seconds in (("Parallel (threads)", threaded), ("aio.Parallel (TaskGroup)", tasks)):
        ratio = seconds / single
        ok = ratio <= GOAL
        failed |= not ok
        print(
            f"{label:<26} {args.workers} workers: {seconds * 1000:7.1f} ms = "
            f"{ratio:.2f}x one request (goal <= {GOAL}x) {'OK' if ok else 'OVER'}; "
            f"{seconds / args.delay:.2f}x the server's delay"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
