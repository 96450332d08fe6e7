"""A real model (Gemma 3 270M, a base model) behind a real OpenAI-compatible server (llama-cpp-python).

The model has no chat template, so the server falls back to a generic chat
format: these tests check mechanics (generation, streaming, usage, limits,
errors), not answer quality.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aimu_openai._endpoints import discover_at

import aimu_core
from aimu_core import aio
from aimu_core.errors import ContextLengthError
from aimu_core.models import Phase
from conftest import LIVE_MODEL

PROMPT = "The capital of France is"
GREEDY = {"temperature": 0, "seed": 1}


@pytest.fixture(params=["llamaserver", "openai-compat"])
def client(request: pytest.FixtureRequest, llama_server: str) -> Any:
    return aimu_core.client(
        f"{request.param}:{LIVE_MODEL}@{llama_server}", max_retries=0, timeout=120
    )


def test_generation_with_usage(client: Any) -> None:
    answer = client.chat(PROMPT, generate_kwargs={**GREEDY, "max_tokens": 8})
    assert answer.strip()
    assert client.messages[-1] == {"role": "assistant", "content": answer}
    usage = client.last_usage
    assert usage["prompt_tokens"] > 0
    assert 0 < usage["completion_tokens"] <= 8
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_streaming(client: Any) -> None:
    chunks = list(client.chat(PROMPT, generate_kwargs={**GREEDY, "max_tokens": 8}, stream=True))
    pieces = [c.content for c in chunks if c.phase is Phase.GENERATING]
    assert len(pieces) > 1
    done = chunks[-1]
    assert done.phase is Phase.DONE
    assert "".join(pieces) == done.content["text"] == client.messages[-1]["content"]
    assert done.content["finish_reason"] in {"length", "stop"}


def test_max_tokens_and_stop_are_honoured(client: Any) -> None:
    chunks = list(client.chat(PROMPT, generate_kwargs={**GREEDY, "max_tokens": 3}, stream=True))
    assert chunks[-1].content["finish_reason"] == "length"
    client.reset()
    client.chat(PROMPT, generate_kwargs={**GREEDY, "max_tokens": 3})
    assert client.last_usage["completion_tokens"] <= 3
    client.reset()
    free = client.chat(PROMPT, generate_kwargs={**GREEDY, "max_tokens": 12})
    word = free.split()[0]
    client.reset()
    stopped = client.chat(PROMPT, generate_kwargs={**GREEDY, "max_tokens": 12, "stop": [word]})
    assert word not in stopped


def test_multi_turn_history_reaches_the_server(client: Any) -> None:
    client.system_message = "You answer in one word."
    client.chat(PROMPT, generate_kwargs={**GREEDY, "max_tokens": 4})
    client.chat("And of Italy?", generate_kwargs={**GREEDY, "max_tokens": 4})
    assert [m["role"] for m in client.messages] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
    ]
    assert client.last_usage["prompt_tokens"] > 10


def test_context_overflow_is_a_context_length_error(client: Any) -> None:
    with pytest.raises(ContextLengthError, match="context"):
        client.chat("word " * 5000, generate_kwargs={"max_tokens": 4})
    assert client.messages == []


def test_async_streaming(llama_server: str) -> None:
    async def run() -> tuple[list[Any], Any]:
        client = aio.client(f"llamaserver:{LIVE_MODEL}@{llama_server}", max_retries=0, timeout=120)
        stream = await client.chat(PROMPT, generate_kwargs={**GREEDY, "max_tokens": 6}, stream=True)
        return [c async for c in stream], client

    chunks, client = asyncio.run(run())
    text = "".join(c.content for c in chunks if c.phase is Phase.GENERATING)
    assert text == client.messages[-1]["content"]


def test_discovery_sees_the_served_model(llama_server: str) -> None:
    assert discover_at(llama_server) == [LIVE_MODEL]
