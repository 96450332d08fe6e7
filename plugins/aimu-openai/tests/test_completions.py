"""``generate()`` on local OpenAI-compatible servers goes to ``/v1/completions`` (base models
continue the prompt as it is); on OpenAI's and Gemini's hosted APIs it stays on chat."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aimu_openai.testing import OpenAIWireServer

import aimu_core
from aimu_core import aio
from aimu_core.errors import ProviderError, StreamInterruptedError
from aimu_core.models import Phase
from aimu_core.testing import Turn
from conftest import LIVE_MODEL


def _paths(wire: OpenAIWireServer) -> list[str]:
    return [r.path for r in wire.requests]


@pytest.mark.parametrize("prefix", ["openai-compat", "llamaserver", "vllm", "lmstudio", "sglang"])
def test_local_servers_generate_through_completions(wire: OpenAIWireServer, prefix: str) -> None:
    client = aimu_core.client(f"{prefix}:base@{wire.url}", max_retries=0)
    wire.script([Turn(" there was a fox.")])
    kwargs = {"max_tokens": 20, "temperature": 0.5, "stop": ["\n\n"], "seed": 3}
    assert client.generate("Once upon a time", generate_kwargs=kwargs) == " there was a fox."
    assert _paths(wire) == ["/v1/completions"]
    body = wire.last
    assert body["prompt"] == "Once upon a time" and "messages" not in body
    assert body["max_tokens"] == 20 and body["stop"] == ["\n\n"] and body["seed"] == 3
    assert client.messages == []
    # chat stays on the chat endpoint
    client.chat("hello")
    assert _paths(wire)[-1] == "/v1/chat/completions"


def test_completions_stream_with_usage(wire: OpenAIWireServer) -> None:
    client = aimu_core.client(f"openai-compat:base@{wire.url}", max_retries=0)
    wire.script([Turn(" there was a fox who liked stories.")])
    chunks = list(client.generate("Once upon a time", stream=True))
    text = "".join(c.content for c in chunks if c.phase is Phase.GENERATING)
    assert text == " there was a fox who liked stories."
    assert len([c for c in chunks if c.phase is Phase.GENERATING]) > 1
    done = chunks[-1].content
    assert done["finish_reason"] == "stop" and done["usage"]["completion_tokens"] == 7
    assert wire.last["stream"] is True and wire.last["stream_options"] == {"include_usage": True}


def test_completions_faults_are_typed(wire: OpenAIWireServer) -> None:
    client = aimu_core.client(f"openai-compat:base@{wire.url}", max_retries=0)
    wire.script([Turn(fail="server_error")])
    with pytest.raises(ProviderError):
        client.generate("Once")
    wire.script([Turn("half a story", fail="stream_cut")])
    with pytest.raises(StreamInterruptedError):
        list(client.generate("Once", stream=True))


def test_chat_only_kwargs_and_images_stay_off_completions(wire: OpenAIWireServer) -> None:
    client = aimu_core.client(f"vllm:base@{wire.url};vision", max_retries=0)
    wire.script([Turn("ok")])
    client.generate("go", generate_kwargs={"min_p": 0.1, "chat_template_kwargs": {"a": 1}})
    assert wire.last["min_p"] == 0.1 and "chat_template_kwargs" not in wire.last
    wire.script([Turn("a pixel")])
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    client.generate("what is this?", images=[png])
    assert _paths(wire)[-1] == "/v1/chat/completions"


def test_hosted_apis_generate_through_chat(wire: OpenAIWireServer) -> None:
    client = aimu_core.client("openai:gpt-4o", base_url=wire.url, api_key="sk-test", max_retries=0)
    wire.script([Turn("hi")])
    assert client.generate("hello") == "hi"
    assert _paths(wire) == ["/v1/chat/completions"]


def test_async_generate_through_completions(wire: OpenAIWireServer) -> None:
    async def run() -> tuple[str, str]:
        client = aio.client(f"llamaserver:base@{wire.url}", max_retries=0)
        whole = await client.generate("Once")
        stream = await client.generate("Once", stream=True)
        streamed = "".join([c.content async for c in stream if c.phase is Phase.GENERATING])
        return whole, streamed

    wire.script([Turn(" upon a time"), Turn(" upon a time, streamed")])
    assert asyncio.run(run()) == (" upon a time", " upon a time, streamed")
    assert _paths(wire) == ["/v1/completions", "/v1/completions"]


def test_real_server_base_model_tells_a_story(llama_server: str) -> None:
    client = aimu_core.client(
        f"llamaserver:{LIVE_MODEL}@{llama_server}", max_retries=0, timeout=120
    )
    story = client.generate("Once upon a time", generate_kwargs={"max_tokens": 32, "seed": 1})
    assert len(story.split()) >= 5, story
    streamed: list[Any] = list(
        client.generate("Once upon a time", stream=True, generate_kwargs={"max_tokens": 8})
    )
    assert "".join(c.content for c in streamed if c.phase is Phase.GENERATING).strip()
    # llama-cpp-python's server sends no usage in a streamed completion
    assert streamed[-1].content["finish_reason"] == "length"
