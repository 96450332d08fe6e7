"""Benchmark and Parallel on a real local Ray cluster: worker processes, a worker killed mid-run."""

from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from aimu_core.agents import Agent, Parallel
from aimu_core.agents.recipe import RecipeClient
from aimu_core.evals import Benchmark
from aimu_core.prompts import ContainsScorer
from conftest import SECRET, SlowServer

ROWS = [{"content": f"item {n}", "expected": "item 1"} for n in range(150)]


def models(server: SlowServer) -> dict[str, Any]:
    return {
        "small": f"vllm:small@{server.url}",
        "large": (f"vllm:large@{server.url}", {"timeout": 30}),
    }


def _busy_ray_workers() -> list[int]:
    """PIDs of Ray worker processes running one of our tasks (their title is ``ray::_call``)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if cmdline.startswith(b"ray::_call"):
                pids.append(int(entry.name))
    return pids


def test_a_benchmark_on_ray_survives_a_killed_worker_and_matches_threads(
    fake: SlowServer, ray_executor: Any
) -> None:
    benchmark = Benchmark("Say {content}", ROWS, ContainsScorer())
    killed: list[int] = []
    seen = [0]
    lock = threading.Lock()

    def kill_one_worker(_: object) -> None:
        with lock:
            seen[0] += 1
            if seen[0] != 120 or killed:
                return
        pids = _busy_ray_workers()
        assert pids, "no Ray worker is running a task"
        os.kill(pids[0], signal.SIGKILL)
        killed.append(pids[0])

    fake.on_request = kill_one_worker
    on_ray = benchmark.run(models(fake), executor=ray_executor, progress=False)
    assert killed, "the run ended before a worker was killed"
    fake.on_request = None
    with ThreadPoolExecutor(2) as threads:
        local = benchmark.run(models(fake), executor=threads, progress=False)

    assert len(on_ray.rows) == 300
    assert [(r.client, r.index) for r in on_ray.rows] == [(r.client, r.index) for r in local.rows]
    assert [r.outcome() for r in on_ray.rows] == [r.outcome() for r in local.rows]
    assert all(r.error is None and r.output == f"Say item {r.index}" for r in on_ray.rows)
    for name in ("small", "large"):
        assert on_ray.summary[name].rows == 150
        assert (
            on_ray.summary[name].pass_rate == local.summary[name].pass_rate == 61 / 150
        )  # item 1, 10-19, 100-149
    # The workers called with the key of their own environment.
    assert {h.get("authorization") for h in fake.headers} == {f"Bearer {SECRET}"}


def test_a_shipped_task_holds_no_secret(fake: SlowServer, ray_executor: Any) -> None:
    benchmark = Benchmark("Say {content}", ROWS[:3], ContainsScorer())
    task = benchmark.tasks(models(fake))[0]
    from ray import cloudpickle

    assert SECRET.encode() not in cloudpickle.dumps(task)
    keyed = {"k": (f"vllm:m@{fake.url}", {"api_key": SECRET})}
    with pytest.raises(Exception, match="api_key") as refused:
        benchmark.run(keyed, executor=ray_executor, progress=False)
    assert SECRET not in str(refused.value)


def test_parallel_workers_run_on_ray(fake: SlowServer, ray_executor: Any) -> None:
    workers = [
        Agent(RecipeClient(f"openai-compat:w{n}@{fake.url}"), system_message=f"w{n}", name=f"w{n}")
        for n in range(3)
    ]
    parallel = Parallel(workers, executor=ray_executor, separator=" | ")
    assert parallel.run("ping") == "ping | ping | ping"
    assert sorted(b["model"] for b in fake.bodies) == ["w0", "w1", "w2"]
    assert all(b["messages"][0]["role"] == "system" for b in fake.bodies)


_JOIN = """
import sys
from aimu_ray import RayExecutor
executor = RayExecutor(address=sys.argv[1])
print(executor.submit(sum, [1, 2, 3]).result(timeout=60))
executor.shutdown()
"""


def test_another_driver_joins_the_running_cluster_by_address(ray_executor: Any) -> None:
    import subprocess
    import sys

    import ray

    address = ray.get_runtime_context().gcs_address
    done = subprocess.run(
        [sys.executable, "-c", _JOIN, address], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "6"
    assert ray.is_initialized()  # the other driver left; this cluster runs on


def test_import_is_cheap() -> None:
    from aimu_core.testing import modules_after

    loaded = modules_after("import aimu_core, aimu_core.evals, aimu_ray", prefix="")
    assert not {m for m in loaded if m.split(".")[0] in {"ray", "deepeval", "pandas"}}
