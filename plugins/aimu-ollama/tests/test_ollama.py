"""What aimu-ollama sends to Ollama and what it makes of the replies.

Every test runs the real ``ollama`` SDK against ``FakeOllama`` and asserts on
the requests the server received as well as on what the client returns.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aimu_ollama import OllamaModel, discover
from aimu_ollama._discover import rank_models
from aimu_ollama._host import is_loopback, resolve_host
from aimu_ollama.testing import FakeOllama

import aimu_core
from aimu_core import aio
from aimu_core.errors import ConfigurationError
from aimu_core.models import Phase, default_model_string
from aimu_core.testing import Request, Response, Turn
from aimu_core.testing.conformance import TINY_PNG, secret_number
from aimu_core.tools import tool


@tool
def double(x: int) -> int:
    """Double a number.

    Args:
        x: the number.
    """
    return 2 * x


# -- options, think, format -----------------------------------------------------------


def test_portable_kwargs_become_ollama_options(server: FakeOllama, make: Any) -> None:
    client = make("llama3.2")
    client.chat(
        "hi",
        generate_kwargs={
            "temperature": 0.1,
            "top_p": 0.8,
            "top_k": 20,
            "seed": 7,
            "stop": "END",
            "repeat_penalty": 1.1,
            "presence_penalty": 0.2,
            "frequency_penalty": 0.3,
            "max_tokens": 64,
            "context_length": 8192,
        },
    )
    path, body = server.requests[-1]
    assert path == "/api/chat"
    assert body["options"] == {
        "temperature": 0.1,
        "top_p": 0.8,
        "top_k": 20,
        "seed": 7,
        "stop": ["END"],
        "repeat_penalty": 1.1,
        "presence_penalty": 0.2,
        "frequency_penalty": 0.3,
        "num_predict": 64,
        "num_ctx": 8192,
    }
    assert "think" not in body  # llama3.2 is not a thinking model
    assert body["model"] == "llama3.2"


def test_native_kwargs(server: FakeOllama, make: Any) -> None:
    client = make("llama3.2", default_generate_kwargs={"num_ctx": 2048})
    client.chat("hi", generate_kwargs={"min_p": 0.05, "keep_alive": "5m", "format": "json"})
    body = server.bodies[-1]
    assert body["options"] == {"num_ctx": 2048, "min_p": 0.05}
    assert body["keep_alive"] == "5m" and body["format"] == "json"
    with pytest.raises(ConfigurationError, match="not_an_option"):
        client.chat("hi", generate_kwargs={"not_an_option": 1})


def test_thinking_models_think_by_default(server: FakeOllama, make: Any) -> None:
    server.script([Turn("4", thinking="2+2 is 4"), Turn("no thoughts"), Turn("deep")])
    client = make("qwen3:8b")
    assert client.chat("2+2?") == "4"
    assert server.bodies[-1]["think"] is True
    assert client.last_thinking == "2+2 is 4"
    assert client.messages[-1]["thinking"] == "2+2 is 4"
    client.chat("again", generate_kwargs={"think": False})
    assert server.bodies[-1]["think"] is False
    client.chat("harder", generate_kwargs={"think": "high"})
    assert server.bodies[-1]["think"] == "high"
    with pytest.raises(ConfigurationError, match="think="):
        client.chat("bad", generate_kwargs={"think": "very"})
    assert len(client.messages) == 6
    # reasoning stays on the message but is never sent back
    assert all("thinking" not in m for m in server.bodies[-1]["messages"])


def test_adhoc_thinking_flag_turns_think_on(server: FakeOllama, make: Any) -> None:
    make("custom:1b;thinking").chat("hi")
    assert server.bodies[-1]["think"] is True
    make("custom:1b").chat("hi")
    assert "think" not in server.bodies[-1]


def test_system_message_and_history_shape(server: FakeOllama, make: Any) -> None:
    server.script([Turn("one"), Turn("two")])
    client = make("llama3.2", system_message="Be brief.")
    client.chat("first")
    client.chat("second")
    assert server.bodies[-1]["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "one"},
        {"role": "user", "content": "second"},
    ]


# -- images ---------------------------------------------------------------------------


def test_images_travel_as_base64_in_the_images_list(server: FakeOllama, make: Any) -> None:
    server.script([Turn("a pixel")])
    client = make("gemma3")
    assert client.chat("What is this?", images=[TINY_PNG]) == "a pixel"
    message = server.bodies[-1]["messages"][0]
    assert message["content"] == "What is this?"
    assert base64.b64decode(message["images"][0]) == TINY_PNG
    # history keeps the OpenAI content parts
    assert client.messages[0]["content"][1]["image_url"]["url"].startswith("data:image/png;base64,")


def test_image_urls_are_a_clear_configuration_error(server: FakeOllama, make: Any) -> None:
    client = make("gemma3")
    with pytest.raises(ConfigurationError, match="does not fetch images from URLs"):
        client.chat("What is this?", images=["https://example.com/cat.png"])
    assert client.messages == [] and server.requests == []


# -- tools --------------------------------------------------------------------------------


def test_tool_round_trip_on_the_wire(server: FakeOllama, make: Any) -> None:
    server.script([Turn(tool_calls=[("secret_number", {"name": "alpha"})]), Turn("It is 42.")])
    client = make("qwen3:8b", tools=[secret_number])
    assert client.chat("alpha?") == "It is 42."
    first, second = server.bodies
    assert first["tools"][0]["type"] == "function"
    assert first["tools"][0]["function"]["name"] == "secret_number"
    assert first["tools"][0]["function"]["parameters"]["properties"]["name"]["type"] == "string"
    assert second["messages"][1] == {  # the SDK leaves the empty content out
        "role": "assistant",
        "tool_calls": [{"function": {"name": "secret_number", "arguments": {"name": "alpha"}}}],
    }
    assert second["messages"][2] == {"role": "tool", "content": "42", "tool_name": "secret_number"}
    call = client.messages[1]["tool_calls"][0]
    assert call["id"] == "call_1_0"  # Ollama has no ids: a stable one for the call's place
    assert client.messages[2]["tool_call_id"] == "call_1_0"


def test_several_tool_calls_after_thinking_and_empty_parts(server: FakeOllama, make: Any) -> None:
    """Upstream dropped calls after Ollama's empty part and mis-indexed several calls."""
    turn = Turn(thinking="two calls", tool_calls=[("double", {"x": 2}), ("double", {"x": 5})])
    parts = server.parts(turn, {"model": "qwen3:8b", "think": True})
    empty = [
        p
        for p in parts
        if not p["done"]
        and not p["message"]["content"]
        and not p["message"].get("thinking")
        and "tool_calls" not in p["message"]
    ]
    assert len(empty) == 2  # the fake does send Ollama's empty parts
    server.script([turn, Turn("4 and 10")])
    client = make("qwen3:8b", tools=[double])
    chunks = list(client.chat("double 2 and 5", stream=True))
    calls = [c.content for c in chunks if c.phase is Phase.TOOL_CALLING]
    assert calls == [
        {"name": "double", "arguments": {"x": 2}, "response": "4"},
        {"name": "double", "arguments": {"x": 5}, "response": "10"},
    ]
    assert [c["id"] for c in client.messages[1]["tool_calls"]] == ["call_1_0", "call_1_1"]
    assert client.messages[1]["thinking"] == "two calls"
    assert [m["role"] for m in client.messages] == [
        "user",
        "assistant",
        "tool",
        "tool",
        "assistant",
    ]
    assert client.messages[-1]["content"] == "4 and 10"
    assert chunks[-1].content["finish_reason"] == "stop"


def test_streamed_deltas_give_each_call_its_own_index(server: FakeOllama, make: Any) -> None:
    server.script([Turn(tool_calls=[("double", {"x": 1}), ("double", {"x": 3})])])
    client = make("qwen3:8b")
    deltas = list(
        client.client._chat(
            [{"role": "user", "content": "go"}], tools=[], generate_kwargs={}, stream=True
        )
    )
    pieces = [c for d in deltas for c in d.tool_calls]
    assert [(c.index, c.id, c.arguments) for c in pieces] == [
        (0, "call_1_0", {"x": 1}),
        (1, "call_1_1", {"x": 3}),
    ]
    assert deltas[-1].finish_reason == "tool_calls"


def test_stream_yields_parts_before_the_reply_ends(server: FakeOllama, make: Any) -> None:
    gate = threading.Event()
    waited: list[bool] = []

    def gated(request: Request) -> Response:
        parts = server.parts(Turn("the answer", thinking="a long thought"), request.json())

        def lines() -> Iterator[bytes]:
            for number, part in enumerate(parts):
                yield json.dumps(part).encode() + b"\n"
                if number == 0:
                    waited.append(
                        gate.wait(10)
                    )  # hold the rest until the client saw the first part

        return Response(200, {"Content-Type": "application/x-ndjson"}, chunks=lines())

    server.script([gated])
    client = make("qwen3:8b")
    chunks = []
    for chunk in client.chat("go", stream=True):
        chunks.append(chunk)
        gate.set()
    assert waited == [True]
    assert chunks[0].phase is Phase.THINKING
    assert "".join(c.content for c in chunks if c.phase is Phase.GENERATING) == "the answer"


def test_usage_from_token_counts(server: FakeOllama, make: Any) -> None:
    server.script([Turn("abcdefgh")])
    client = make("llama3.2")
    client.chat("x")
    assert client.last_usage["completion_tokens"] == 2 and client.last_usage["prompt_tokens"] > 0


# -- generate ------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_generate_uses_api_generate(server: FakeOllama, make: Any, stream: bool) -> None:
    server.script([Turn("completion", thinking="hmm")])
    client = make("qwen3:8b", system_message="sys")
    out = client.generate("Once", stream=stream, images=None, generate_kwargs={"max_tokens": 5})
    text = "".join(c.content for c in out if c.phase is Phase.GENERATING) if stream else out
    assert text == "completion"
    assert client.last_thinking == "hmm"
    path, body = server.requests[-1]
    assert path == "/api/generate"
    assert body["prompt"] == "Once" and body["system"] == "sys"
    assert body["options"] == {"num_predict": 5} and body["think"] is True
    assert client.messages == [{"role": "system", "content": "sys"}]


def test_generate_with_images(server: FakeOllama, make: Any) -> None:
    make("gemma3").generate("Describe", images=[TINY_PNG])
    assert base64.b64decode(server.bodies[-1]["images"][0]) == TINY_PNG


# -- host, discovery, catalog ---------------------------------------------------------------


def test_ollama_host_environment(server: FakeOllama, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", server.url)
    server.script([Turn("from env host")])
    assert aimu_core.client("ollama:llama3.2").chat("hi") == "from env host"


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        (None, "http://127.0.0.1:11434"),
        ("0.0.0.0", "http://127.0.0.1:11434"),
        (":5000", "http://127.0.0.1:5000"),
        ("gpu-box:11500", "http://gpu-box:11500"),
        ("https://ollama.example.com", "https://ollama.example.com:443"),
        ("http://[::1]:11434/", "http://[::1]:11434"),
        ("example.com:1/path/", "http://example.com:1/path"),
    ],
)
def test_resolve_host(raw: str | None, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    assert resolve_host(raw) == url


def test_is_loopback() -> None:
    assert is_loopback("http://127.0.0.1:11434") and is_loopback("http://localhost:1")
    assert is_loopback("http://[::1]:11434")
    assert not is_loopback("http://gpu-box:11434") and not is_loopback("http://10.0.0.2:11434")


def test_discover_lists_local_models_tool_capable_first(
    server: FakeOllama, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.reset(
        models={
            "gemma3:latest": {"vision"},
            "nomic-embed-text:latest": set(),
            "my-own:3b": set(),
            "qwen3:14b": {"tools", "thinking"},
            "llama3.2:latest": {"tools"},
        }
    )
    monkeypatch.setenv("OLLAMA_HOST", server.url)
    monkeypatch.delenv("AIMU_LANGUAGE_MODEL", raising=False)
    assert discover() == ["llama3.2", "qwen3:14b", "gemma3", "my-own:3b"]
    assert default_model_string() == "ollama:llama3.2"
    server.script([Turn("picked by default")])
    assert aimu_core.client().chat("hi") == "picked by default"
    assert server.bodies[-1]["model"] == "llama3.2"


def test_discover_without_a_server_returns_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{port}")
    assert discover() == []


def test_discover_never_looks_beyond_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "https://ollama.example.com")
    assert discover() == []


def test_discover_ignores_a_broken_answer(
    server: FakeOllama, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", server.url + "/nothing-here")
    assert discover() == []


def test_rank_models_tolerates_odd_entries() -> None:
    assert rank_models(
        [
            None,
            {"name": ""},
            {"model": "mistral:latest"},
            {"name": "x", "details": {"family": "bert"}},
        ]
    ) == ["mistral"]


def test_catalog() -> None:
    assert OllamaModel("qwen3:8b").supports_thinking and OllamaModel("qwen3:8b").supports_tools
    assert OllamaModel.GEMMA3 in OllamaModel.VISION_MODELS
    assert OllamaModel.LLAMA3_2 in OllamaModel.TOOL_MODELS


def test_plugin_import_is_cheap() -> None:
    code = (
        "import sys, aimu_ollama; "
        "a = any(m in sys.modules for m in ('ollama', 'httpx', 'http.client')); "
        "import aimu_ollama.testing; "
        "print(a or any(m in sys.modules for m in ('ollama', 'httpx')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- credentials ------------------------------------------------------------------------------


def test_api_key_is_sent_as_bearer_and_never_shown(server: FakeOllama, make: Any) -> None:
    key = "ollama-secret-key-123456"
    client = make("llama3.2", api_key=key)
    client.chat("hi")
    assert server.headers[-1]["authorization"] == f"Bearer {key}"
    for text in (repr(client), repr(client.client), str(vars(client.client))):
        assert key not in text


# -- async ----------------------------------------------------------------------------------


def test_async_tool_round_trip_generate_and_reuse_across_loops(
    server: FakeOllama, options: dict[str, Any]
) -> None:
    client = aio.client("ollama:qwen3:8b", tools=[double], **options)

    async def first() -> list[Any]:
        server.script(
            [
                Turn(thinking="t", tool_calls=[("double", {"x": 4}), ("double", {"x": 6})]),
                Turn("8, 12"),
            ]
        )
        stream = await client.chat("go", stream=True)
        return [c async for c in stream]

    chunks = asyncio.run(first())
    assert [c.content["response"] for c in chunks if c.phase is Phase.TOOL_CALLING] == ["8", "12"]
    assert client.messages[-1]["content"] == "8, 12"

    async def second() -> str:
        server.script([Turn("generated")])
        return await client.generate("prompt")

    assert asyncio.run(second()) == "generated"
    assert server.requests[-1][0] == "/api/generate"
    assert json.loads(client.messages[1]["tool_calls"][1]["function"]["arguments"]) == {"x": 6}
