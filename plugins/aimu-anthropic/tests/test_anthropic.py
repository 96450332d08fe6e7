"""What aimu-anthropic sends to the Messages API and what it makes of the replies.

Every test runs the real ``anthropic`` SDK against ``FakeAnthropic`` and asserts
on the requests the server received as well as on what the client returns.
"""

from __future__ import annotations

import asyncio
import json
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from aimu_anthropic import AnthropicModel
from aimu_anthropic.testing import FakeAnthropic

import aimu_core
from aimu_core import aio
from aimu_core.errors import ConfigurationError
from aimu_core.models import Phase
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


# -- request adaptation ---------------------------------------------------------------


def test_system_message_goes_to_the_system_parameter(api: FakeAnthropic, make: Any) -> None:
    api.script([Turn("hi")])
    client = make(system_message="Be terse.")
    assert client.chat("Hello") == "hi"
    body = api.requests[-1]
    assert body["system"] == "Be terse."
    assert body["model"] == "claude-sonnet-4-6"
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Hello"}]}]
    assert client.messages[0] == {"role": "system", "content": "Be terse."}


def test_tool_round_trip_sends_tool_use_and_tool_result_with_ids(
    api: FakeAnthropic, make: Any
) -> None:
    api.script(
        [
            Turn(tool_calls=[("secret_number", {"name": "alpha"})], thinking="look it up"),
            Turn("It is 42."),
        ]
    )
    client = make(tools=[secret_number])
    assert client.chat("alpha?") == "It is 42."

    first, second = api.requests
    assert first["tools"] == [
        {
            "name": "secret_number",
            "input_schema": first["tools"][0]["input_schema"],
            "description": first["tools"][0]["description"],
        }
    ]
    assert first["tools"][0]["input_schema"]["properties"]["name"]["type"] == "string"
    assistant, results = second["messages"][1:]
    assert assistant["role"] == "assistant"
    # Thinking is on: the turn's signed thinking block goes back in front of its tool call.
    assert assistant["content"][0]["type"] == "thinking"
    assert assistant["content"][0]["thinking"] == "look it up"
    assert assistant["content"][0]["signature"].startswith("sig_")
    assert assistant["content"][1] == {
        "type": "tool_use",
        "id": "toolu_0000",
        "name": "secret_number",
        "input": {"name": "alpha"},
    }
    assert results == {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "toolu_0000", "content": "42"}],
    }
    # History keeps the OpenAI format and the real id; reasoning stays on the message.
    call = client.messages[1]["tool_calls"][0]
    assert call["id"] == "toolu_0000"
    assert json.loads(call["function"]["arguments"]) == {"name": "alpha"}
    assert client.messages[1]["thinking"] == "look it up"
    assert client.messages[2] == {
        "role": "tool",
        "tool_call_id": "toolu_0000",
        "name": "secret_number",
        "content": "42",
    }


def test_parallel_tool_results_merge_into_one_user_turn(api: FakeAnthropic, make: Any) -> None:
    api.script(
        [
            Turn(tool_calls=[("double", {"x": 2}), ("double", {"x": 5})]),
            Turn("4 and 10."),
            Turn("ok"),
        ]
    )
    client = make("claude-haiku-4-5", tools=[double])
    assert client.chat("double 2 and 5") == "4 and 10."
    assert [m["role"] for m in client.messages] == [
        "user",
        "assistant",
        "tool",
        "tool",
        "assistant",
    ]
    client.chat("thanks")
    wire = api.requests[-1]["messages"]
    assert [m["role"] for m in wire] == ["user", "assistant", "user", "assistant", "user"]
    assert [b["type"] for b in wire[1]["content"]] == [
        "tool_use",
        "tool_use",
    ]  # no thinking on haiku
    assert wire[2]["content"] == [
        {"type": "tool_result", "tool_use_id": "toolu_0000", "content": "4"},
        {"type": "tool_result", "tool_use_id": "toolu_0001", "content": "10"},
    ]
    assert wire[3] == {"role": "assistant", "content": [{"type": "text", "text": "4 and 10."}]}


def test_empty_turns_are_dropped_and_same_role_turns_merged(api: FakeAnthropic, make: Any) -> None:
    api.script([Turn("merged")])
    client = make("claude-haiku-4-5", system_message="sys")
    client.messages += [
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": ""},
        {"role": "user", "content": "two"},
        {"role": "assistant", "content": "   "},
        {"role": "assistant", "content": "reply"},
        {"role": "user", "content": [{"type": "text", "text": ""}]},
    ]
    assert client.chat("three") == "merged"
    wire = api.requests[-1]["messages"]
    assert wire == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "reply"}]},
        {"role": "user", "content": [{"type": "text", "text": "three"}]},
    ]


def test_images_become_base64_and_url_blocks(api: FakeAnthropic, make: Any) -> None:
    api.script([Turn("two images")])
    client = make()
    client.chat("What are these?", images=[TINY_PNG, "https://example.com/cat.jpg"])
    content = api.requests[-1]["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": "What are these?"}
    assert content[1]["type"] == "image"
    assert content[1]["source"]["type"] == "base64"
    assert content[1]["source"]["media_type"] == "image/png"
    assert (
        content[1]["source"]["data"]
        == client.messages[0]["content"][1]["image_url"]["url"].split(",")[1]
    )
    assert content[2] == {
        "type": "image",
        "source": {"type": "url", "url": "https://example.com/cat.jpg"},
    }


def test_unsupported_image_type_is_a_configuration_error(api: FakeAnthropic, make: Any) -> None:
    client = make()
    with pytest.raises(ConfigurationError, match="JPEG, PNG, GIF and WebP"):
        client.chat("?", images=["data:image/bmp;base64,Qk0="])
    assert client.messages == [] and api.requests == []


# -- thinking and generation kwargs ---------------------------------------------------------


def test_thinking_models_think_with_a_default_budget(api: FakeAnthropic, make: Any) -> None:
    api.script([Turn("4", thinking="2+2")])
    client = make()
    assert client.chat("2+2?") == "4"
    body = api.requests[-1]
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert body["max_tokens"] == 4096 + 2048  # max_tokens caps the answer; the budget comes on top
    assert client.last_thinking == "2+2"


def test_thinking_budget_native_kwarg(api: FakeAnthropic, make: Any) -> None:
    client = make()
    client.chat("a", generate_kwargs={"thinking_budget": 5000, "max_tokens": 100})
    assert api.requests[-1]["thinking"] == {"type": "enabled", "budget_tokens": 5000}
    assert api.requests[-1]["max_tokens"] == 5100
    client.chat("b", generate_kwargs={"thinking_budget": 0, "max_tokens": 100})
    assert "thinking" not in api.requests[-1] and api.requests[-1]["max_tokens"] == 100
    client.chat("c", generate_kwargs={"thinking_budget": "adaptive"})
    assert api.requests[-1]["thinking"] == {"type": "adaptive"}
    assert api.requests[-1]["max_tokens"] == 4096
    for bad in (10, -1, "lots"):
        with pytest.raises(ConfigurationError, match="thinking_budget"):
            client.chat("d", generate_kwargs={"thinking_budget": bad})
    assert len(client.messages) == 6


def test_sampling_is_dropped_with_one_warning_while_thinking(api: FakeAnthropic, make: Any) -> None:
    import aimu_anthropic.client as module

    module._warned.clear()
    client = make()
    kwargs = {"temperature": 0.2, "top_p": 0.9, "top_k": 5}
    with pytest.warns(UserWarning) as caught:
        client.chat("a", generate_kwargs=kwargs)
    assert any("temperature=1" in str(w.message) for w in caught)
    assert any("top_p" in str(w.message) for w in caught)
    assert any("top_k" in str(w.message) for w in caught)
    body = api.requests[-1]
    assert not {"temperature", "top_p", "top_k"} & set(body)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once: the second call is silent
        client.chat("b", generate_kwargs=kwargs)
    # temperature=1 is what thinking uses anyway: no warning
    module._warned.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.chat("c", generate_kwargs={"temperature": 1})


def test_forcing_a_tool_turns_thinking_off_with_a_warning(api: FakeAnthropic, make: Any) -> None:
    import aimu_anthropic.client as module

    module._warned.clear()
    api.script([Turn(tool_calls=[("double", {"x": 1})])])
    client = make(tools=[double])
    with pytest.warns(UserWarning, match="cannot think while a tool is forced"):
        client.chat(
            "go",
            use_tools=False,
            generate_kwargs={"tool_choice": {"type": "any"}, "max_tokens": 50},
        )
    body = api.requests[-1]
    assert "thinking" not in body and body["max_tokens"] == 50
    assert body["tool_choice"] == {"type": "any"}
    assert client.messages[-1]["tool_calls"][0]["function"]["name"] == "double"


def test_sampling_and_stop_are_sent_without_thinking(api: FakeAnthropic, make: Any) -> None:
    client = make("claude-haiku-4-5", default_generate_kwargs={"temperature": 0.3})
    client.chat("a", generate_kwargs={"top_p": 0.5, "top_k": 7, "stop": "END", "max_tokens": 64})
    body = api.requests[-1]
    assert body["temperature"] == 0.3 and body["top_p"] == 0.5 and body["top_k"] == 7
    assert body["stop_sequences"] == ["END"]
    assert body["max_tokens"] == 64
    assert "thinking" not in body


def test_unsupported_portable_kwarg_is_dropped_with_a_warning(
    api: FakeAnthropic, make: Any
) -> None:
    client = make("claude-haiku-4-5")
    with pytest.warns(UserWarning, match="seed"):
        client.chat("a", generate_kwargs={"seed": 3})
    assert "seed" not in api.requests[-1]


def test_native_kwargs_pass_through(api: FakeAnthropic, make: Any) -> None:
    client = make("claude-haiku-4-5", tools=[double])
    api.script([Turn("no tool needed")])
    client.chat(
        "a", generate_kwargs={"tool_choice": {"type": "auto"}, "metadata": {"user_id": "u1"}}
    )
    body = api.requests[-1]
    assert body["tool_choice"] == {"type": "auto"} and body["metadata"] == {"user_id": "u1"}


def test_usage_and_finish_reason(api: FakeAnthropic, make: Any) -> None:
    api.script([Turn("abcdefgh"), Turn("abcdefgh")])
    client = make("claude-haiku-4-5")
    client.chat("x")
    assert client.last_usage["completion_tokens"] == 2 and client.last_usage["prompt_tokens"] > 0
    chunks = list(client.chat("y", stream=True))
    assert chunks[-1].content["finish_reason"] == "stop"
    assert chunks[-1].content["usage"]["completion_tokens"] == 2


def test_generate_is_one_stateless_request(api: FakeAnthropic, make: Any) -> None:
    api.script([Turn("done")])
    client = make(system_message="sys")
    assert client.generate("Complete this") == "done"
    assert api.requests[-1]["system"] == "sys"
    assert api.requests[-1]["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Complete this"}]}
    ]
    assert client.messages == [{"role": "system", "content": "sys"}]


# -- streaming as it arrives ---------------------------------------------------------------


class _Gated:
    """A streamed reply that stops at each gate until the test has seen what came before it."""

    def __init__(self, api: FakeAnthropic, turn: Turn) -> None:
        self.gates = [threading.Event(), threading.Event()]
        self.waited: list[bool] = []
        self.api = api
        self.turn = turn

    def __call__(self, request: Request) -> Response:
        events = self.api.events(self.turn, request.json(), ["toolu_gate"])
        # gate 0 after the first thinking delta, gate 1 after the first tool-input delta
        first_thinking = next(
            i for i, (n, e) in enumerate(events) if _delta_type(e) == "thinking_delta"
        )
        first_input = next(
            i for i, (n, e) in enumerate(events) if _delta_type(e) == "input_json_delta"
        )

        def chunks() -> Iterator[bytes]:
            for i, (name, data) in enumerate(events):
                yield f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
                if i == first_thinking:
                    self.waited.append(self.gates[0].wait(10))
                if i == first_input:
                    self.waited.append(self.gates[1].wait(10))

        return Response(200, {"Content-Type": "text/event-stream"}, chunks=chunks())


def _delta_type(event: dict[str, Any]) -> str | None:
    return (
        event.get("delta", {}).get("type") if event.get("type") == "content_block_delta" else None
    )


def test_stream_yields_thinking_and_tool_input_before_the_reply_ends(
    api: FakeAnthropic, make: Any
) -> None:
    gated = _Gated(api, Turn(thinking="a long thought", tool_calls=[("double", {"x": 21})]))
    api.script([gated])
    client = make()
    deltas = client.client._chat(
        [{"role": "user", "content": "go"}], tools=[], generate_kwargs={}, stream=True
    )
    seen: list[Any] = []
    for delta in deltas:
        seen.append(delta)
        if delta.thinking and not gated.gates[0].is_set():
            gated.gates[0].set()  # the first thinking piece arrived while the server was waiting
        if any(c.arguments for c in delta.tool_calls) and not gated.gates[1].is_set():
            gated.gates[1].set()
    assert gated.waited == [True, True]
    pieces = [c.arguments for d in seen for c in d.tool_calls if c.arguments]
    assert len(pieces) > 1 and json.loads("".join(pieces)) == {"x": 21}
    assert "".join(d.thinking for d in seen) == "a long thought"
    assert [d.finish_reason for d in seen if d.finish_reason] == ["tool_calls"]


def test_stream_text_arrives_in_pieces(api: FakeAnthropic, make: Any) -> None:
    api.script([Turn("The quick brown fox jumps.", thinking="think first")])
    client = make()
    chunks = list(client.chat("go", stream=True))
    phases = [c.phase for c in chunks]
    assert phases.count(Phase.THINKING) > 1 and phases.count(Phase.GENERATING) > 1
    assert phases.index(Phase.THINKING) < phases.index(Phase.GENERATING)
    assert (
        "".join(c.content for c in chunks if c.phase is Phase.GENERATING)
        == "The quick brown fox jumps."
    )


# -- async ------------------------------------------------------------------------------


def test_async_tool_round_trip_and_reuse_across_event_loops(
    api: FakeAnthropic, options: dict[str, Any]
) -> None:
    client = aio.client("anthropic:claude-sonnet-4-6", tools=[secret_number], **options)

    async def first() -> list[Any]:
        api.script(
            [Turn(tool_calls=[("secret_number", {"name": "alpha"})], thinking="hm"), Turn("42!")]
        )
        stream = await client.chat("alpha?", stream=True)
        return [c async for c in stream]

    chunks = asyncio.run(first())
    assert [c.content for c in chunks if c.phase is Phase.TOOL_CALLING] == [
        {"name": "secret_number", "arguments": {"name": "alpha"}, "response": "42"}
    ]
    assert api.requests[-1]["messages"][1]["content"][0]["type"] == "thinking"

    async def second() -> str:
        api.script([Turn("again")])
        return await client.chat("once more")

    assert asyncio.run(second()) == "again"  # a new event loop gets a fresh SDK client
    assert [m["role"] for m in client.messages] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
        "assistant",
    ]


# -- credentials and configuration ---------------------------------------------------------------


def test_api_key_from_environment_is_sent_and_never_shown(
    api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch, api_key: str
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", api_key)
    client = aimu_core.client("anthropic:claude-haiku-4-5", base_url=api.url, max_retries=0)
    client.chat("hi")
    assert api_key in " ".join(api.headers[-1].values())
    inner = client.client
    for text in (repr(client), repr(inner), str(vars(inner)), repr(inner._api_key)):
        assert api_key not in text


def test_catalog() -> None:
    assert AnthropicModel("claude-sonnet-4-6").supports_thinking
    assert AnthropicModel.CLAUDE_OPUS_4_6 in AnthropicModel.VISION_MODELS
    assert AnthropicModel.CLAUDE_HAIKU_4_5 not in AnthropicModel.THINKING_MODELS
    assert all(m.supports_tools for m in AnthropicModel)


def test_plugin_import_is_cheap() -> None:
    import subprocess
    import sys

    code = "import sys, aimu_anthropic, aimu_anthropic.testing; print('anthropic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
