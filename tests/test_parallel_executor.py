"""``Parallel(executor=...)``: workers on any concurrent.futures executor, in other processes too."""

from __future__ import annotations

import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

import aimu_core
from aimu_core.agents import Agent, Parallel
from aimu_core.agents.recipe import ClientRecipe, RecipeClient
from aimu_core.errors import ConfigurationError
from aimu_core.models.stream import Phase


def test_a_given_thread_pool_runs_the_workers_and_stays_open() -> None:
    with ThreadPoolExecutor(2, thread_name_prefix="mine") as pool:
        parallel = Parallel.from_client(
            aimu_core.client("scripted:echo"), ["a", "b", "c"], executor=pool
        )
        assert parallel.run("hello") == "hello\n\nhello\n\nhello"
        chunks = list(parallel.run("hi", stream=True))
        assert pool.submit(lambda: 1).result() == 1  # not shut down by the run
    assert {c.iteration for c in chunks if c.phase is Phase.GENERATING} == {0, 1, 2}


def _register_scripted() -> None:
    import aimu_core.plugins
    import aimu_core.testing.scripted

    aimu_core.plugins.register(aimu_core.testing.scripted)


def test_recipe_workers_run_in_other_processes() -> None:
    workers = [
        Agent(RecipeClient("scripted:echo"), system_message=f"worker {n}", name=f"w{n}")
        for n in range(3)
    ]
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=spawn, initializer=_register_scripted) as pool:
        parallel = Parallel(workers, executor=pool, separator=" | ")
        assert parallel.run("ping") == "ping | ping | ping"
        chunks = list(parallel.run("pong", stream=True))
    answers = sorted((c.agent, c.content) for c in chunks if c.phase is Phase.GENERATING)
    assert answers == [("w0", "pong"), ("w1", "pong"), ("w2", "pong")]
    # The conversations stayed in the worker processes.
    assert all(
        w.client.messages == [{"role": "system", "content": w.system_message}] for w in workers
    )


def test_a_recipe_client_ships_its_settings_not_its_conversation_or_secrets() -> None:
    client = RecipeClient("scripted:echo", base_url="http://127.0.0.1:9")
    client.system_message = "be brief"
    client.chat("first")
    twin = pickle.loads(pickle.dumps(client))
    assert twin.system_message == "be brief" and twin.base_url == "http://127.0.0.1:9"
    assert twin.messages == [{"role": "system", "content": "be brief"}]
    assert twin.chat("again") == "again"
    with pytest.raises(ConfigurationError, match="api_key"):
        pickle.dumps(ClientRecipe("scripted:echo", {"api_key": "sk-x"}))
    assert "sk-x" not in repr(ClientRecipe("scripted:echo", {"api_key": "sk-x"}))
