"""What the real openai SDK sends and what the client makes of the answers, on the loopback wire server."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
from aimu_openai.testing import OpenAIWireServer, chunk, completion, sse

import aimu_core
from aimu_core import aio
from aimu_core.models import Phase
from aimu_core.testing import Turn
from aimu_core.testing.conformance import TINY_PNG
from aimu_core.tools import tool

KEY = "sk-test-0123456789abcdef"


@tool
def lookup(name: str) -> str:
    """Look a name up.

    Args:
        name: the name.
    """
    return f"found {name}"


def compat(wire: OpenAIWireServer, flags: str = "tools,thinking,vision", **options: Any) -> Any:
    model = f"openai-compat:m@{wire.url}" + (f";{flags}" if flags else "")
    return aimu_core.client(model, **{"max_retries": 0, **options})


def stream_text(client: Any, message: str, **kwargs: Any) -> tuple[str, str]:
    chunks = list(client.chat(message, stream=True, **kwargs))
    thinking = "".join(c.content for c in chunks if c.phase is Phase.THINKING)
    text = "".join(c.content for c in chunks if c.phase is Phase.GENERATING)
    return thinking, text


# -- the request ------------------------------------------------------------------------------


def test_request_carries_history_tools_and_kwargs(wire: OpenAIWireServer) -> None:
    wire.script(
        [
            Turn(tool_calls=[("lookup", {"name": "ada"})], thinking="need a lookup"),
            Turn("Ada found."),
        ]
    )
    client = compat(wire, system_message="Be brief.", tools=[lookup])
    answer = client.chat(
        "Who is ada?",
        generate_kwargs={
            "temperature": 0.3,
            "max_tokens": 20,
            "stop": "END",
            "seed": 7,
            "top_p": 0.9,
        },
    )
    assert answer == "Ada found."
    first, second = wire.bodies
    assert first["model"] == "m"
    assert first["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Who is ada?"},
    ]
    assert [t["function"]["name"] for t in first["tools"]] == ["lookup"]
    assert first["tools"][0]["type"] == "function"
    assert {k: first[k] for k in ("temperature", "max_tokens", "stop", "seed", "top_p")} == {
        "temperature": 0.3,
        "max_tokens": 20,
        "stop": ["END"],
        "seed": 7,
        "top_p": 0.9,
    }
    assert not first.get("stream")
    assistant, tool_reply = second["messages"][2], second["messages"][3]
    # reasoning is kept in history but never sent back; an empty answer beside tool calls is null
    assert assistant == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_0",
                "type": "function",
                "function": {"name": "lookup", "arguments": '{"name": "ada"}'},
            }
        ],
    }
    assert tool_reply == {
        "role": "tool",
        "tool_call_id": "call_0",
        "name": "lookup",
        "content": "found ada",
    }
    assert client.messages[2]["thinking"] == "need a lookup"
    assert client.messages[2]["content"] == ""  # history itself is not changed by the adaptation


def test_stream_asks_for_usage_and_records_it(wire: OpenAIWireServer) -> None:
    wire.script([Turn("three little words")])
    client = compat(wire)
    chunks = list(client.chat("go", stream=True))
    assert wire.last["stream"] is True
    assert wire.last["stream_options"] == {"include_usage": True}
    done = chunks[-1].content
    assert done["usage"] == client.last_usage
    assert client.last_usage["completion_tokens"] == 3
    assert done["finish_reason"] == "stop"


def test_stream_usage_can_be_turned_off(wire: OpenAIWireServer) -> None:
    client = compat(wire, stream_usage=False)
    list(client.chat("go", stream=True))
    assert wire.last["stream"] is True and "stream_options" not in wire.last
    assert client.last_usage is None


def test_non_streamed_usage_and_finish_reason(wire: OpenAIWireServer) -> None:
    usage = {"prompt_tokens": 11, "completion_tokens": 4, "total_tokens": 15}
    wire.reply(completion("cut short", usage=usage, finish_reason="length"))
    client = compat(wire)
    assert client.chat("x") == "cut short"
    assert client.last_usage == usage


def test_tool_kwargs_only_sent_with_tools(wire: OpenAIWireServer) -> None:
    client = compat(wire, tools=[lookup])
    client.chat("a", generate_kwargs={"tool_choice": "auto", "parallel_tool_calls": False})
    assert wire.last["tool_choice"] == "auto" and wire.last["parallel_tool_calls"] is False
    client.chat("b", generate_kwargs={"tool_choice": "auto"}, use_tools=False)
    assert "tools" not in wire.last and "tool_choice" not in wire.last


def test_openai_uses_max_completion_tokens(wire: OpenAIWireServer) -> None:
    client = aimu_core.client("openai:gpt-4o", api_key=KEY, base_url=wire.url)
    with pytest.warns(UserWarning, match="top_k"):
        client.chat("hi", generate_kwargs={"max_tokens": 9, "temperature": 0.5, "top_k": 3})
    assert wire.last["max_completion_tokens"] == 9
    assert wire.last["temperature"] == 0.5
    assert "max_tokens" not in wire.last and "top_k" not in wire.last


def test_openai_reasoning_models_drop_sampling_kwargs(wire: OpenAIWireServer) -> None:
    client = aimu_core.client("openai:o3", api_key=KEY, base_url=wire.url)
    with pytest.warns(UserWarning, match="temperature"):
        client.chat(
            "hi", generate_kwargs={"max_tokens": 9, "temperature": 0.5, "reasoning_effort": "low"}
        )
    assert wire.last["max_completion_tokens"] == 9
    assert wire.last["reasoning_effort"] == "low"
    assert "temperature" not in wire.last


@pytest.mark.parametrize(
    ("prefix", "repeat_name"),
    [
        ("lmstudio", "repeat_penalty"),
        ("llamaserver", "repeat_penalty"),
        ("vllm", "repetition_penalty"),
        ("sglang", "repetition_penalty"),
    ],
)
def test_local_servers_take_their_own_kwargs(
    wire: OpenAIWireServer, prefix: str, repeat_name: str
) -> None:
    client = aimu_core.client(f"{prefix}:local-model@{wire.url}")
    client.chat(
        "hi",
        generate_kwargs={
            "top_k": 20,
            "repeat_penalty": 1.1,
            "min_p": 0.05,
            "chat_template_kwargs": {"enable_thinking": False},
            "extra_body": {"custom": 1},
        },
    )
    body = wire.last
    assert body["model"] == "local-model"
    assert body["top_k"] == 20 and body[repeat_name] == 1.1 and body["min_p"] == 0.05
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert body["custom"] == 1


@pytest.mark.parametrize("kind", ["path", "bytes", "data_url", "https_url"])
def test_images_sent_as_image_url_parts(wire: OpenAIWireServer, tmp_path: Any, kind: str) -> None:
    data_url = "data:image/png;base64," + base64.b64encode(TINY_PNG).decode()
    path = tmp_path / "pixel.png"
    path.write_bytes(TINY_PNG)
    image = {
        "path": str(path),
        "bytes": TINY_PNG,
        "data_url": data_url,
        "https_url": "https://example.com/cat.png",
    }[kind]
    expected = "https://example.com/cat.png" if kind == "https_url" else data_url
    client = compat(wire)
    client.chat("What is this?", images=[image])
    assert wire.last["messages"][-1]["content"] == [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": expected}},
    ]


# -- thinking --------------------------------------------------------------------------------


def test_think_tags_split_across_stream_chunks(wire: OpenAIWireServer) -> None:
    pieces = ["<thi", "nk>Let me ", "think.</th", "ink>", "\n\nThe answer", " is 4."]
    wire.reply(sse([chunk({"content": p}) for p in pieces] + [chunk({}, "stop")]))
    client = compat(wire, flags="thinking")
    thinking, text = stream_text(client, "2+2?")
    assert thinking == "Let me think."
    assert text == "The answer is 4."
    assert client.messages[-1] == {
        "role": "assistant",
        "content": "The answer is 4.",
        "thinking": "Let me think.",
    }


def test_think_tags_in_a_non_streamed_reply(wire: OpenAIWireServer) -> None:
    wire.reply(completion("<think>short thought</think>Answer."))
    client = compat(wire, flags="thinking")
    assert client.chat("q") == "Answer."
    assert client.last_thinking == "short thought"


def test_think_tags_kept_for_models_not_flagged_thinking(wire: OpenAIWireServer) -> None:
    wire.reply(completion("<think>x</think>y"))
    client = compat(wire, flags="")
    assert client.chat("q") == "<think>x</think>y"
    assert client.last_thinking == ""


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_field_in_a_non_streamed_reply(wire: OpenAIWireServer, field: str) -> None:
    wire.reply(completion("42", reasoning="six times seven", reasoning_field=field))
    client = compat(wire)
    assert client.chat("q") == "42"
    assert client.last_thinking == "six times seven"
    assert client.messages[-1]["thinking"] == "six times seven"


def test_reasoning_field_streamed_beside_tagless_answer(wire: OpenAIWireServer) -> None:
    wire.reply(
        sse(
            [
                chunk({"role": "assistant", "content": None, "reasoning": "hmm "}),
                chunk({"reasoning": "ok"}),
            ]
            + [chunk({"content": "done"}), chunk({}, "stop")]
        )
    )
    thinking, text = stream_text(compat(wire), "q")
    assert (thinking, text) == ("hmm ok", "done")


# -- tool calls ------------------------------------------------------------------------------


def test_interleaved_streamed_tool_calls_are_accumulated(wire: OpenAIWireServer) -> None:
    def call(index: int, **fields: Any) -> dict[str, Any]:
        function = {k: v for k, v in fields.items() if k in ("name", "arguments")}
        piece: dict[str, Any] = {"index": index, "function": function}
        if "id" in fields:
            piece.update(id=fields["id"], type="function")
        return chunk({"tool_calls": [piece]})

    wire.reply(
        sse(
            [
                call(0, id="call_a", name="lookup", arguments=""),
                call(1, id="call_b", name="lookup", arguments='{"na'),
                call(0, arguments='{"name": '),
                call(1, arguments='me": "bob"}'),
                call(0, arguments='"ada"}'),
                chunk({}, "tool_calls"),
            ]
        )
    )
    client = compat(wire, tools=[lookup])
    list(client.chat("both", stream=True, use_tools=False))
    calls = client.messages[-1]["tool_calls"]
    assert [
        (c["id"], c["function"]["name"], json.loads(c["function"]["arguments"])) for c in calls
    ] == [
        ("call_a", "lookup", {"name": "ada"}),
        ("call_b", "lookup", {"name": "bob"}),
    ]


def test_tool_calls_without_index_are_kept_apart(wire: OpenAIWireServer) -> None:
    """Gemini's endpoint streams each call whole, without an ``index``."""
    whole = [
        {
            "id": f"call_{n}",
            "type": "function",
            "function": {"name": "lookup", "arguments": json.dumps({"name": n})},
        }
        for n in ("ada", "bob")
    ]
    wire.reply(
        sse(
            [
                chunk({"tool_calls": [whole[0]]}),
                chunk({"tool_calls": [whole[1]]}),
                chunk({}, "tool_calls"),
            ]
        )
    )
    client = compat(wire, tools=[lookup])
    chunks = list(client.chat("both", stream=True))
    results = [c.content for c in chunks if c.phase is Phase.TOOL_CALLING]
    assert [r["response"] for r in results] == ["found ada", "found bob"]


def test_tool_loop_runs_in_the_async_client(wire: OpenAIWireServer) -> None:
    wire.script(
        [
            Turn(tool_calls=[("lookup", {"name": "ada"}), ("lookup", {"name": "bob"})]),
            Turn("both found"),
        ]
    )

    async def run() -> Any:
        client = aio.client(f"openai-compat:m@{wire.url};tools", tools=[lookup], max_retries=0)
        return client, await client.chat("both?")

    client, answer = asyncio.run(run())
    assert answer == "both found"
    assert [m["content"] for m in client.messages if m["role"] == "tool"] == [
        "found ada",
        "found bob",
    ]
    assert [m["role"] for m in wire.bodies[1]["messages"]] == ["user", "assistant", "tool", "tool"]


def test_async_client_works_across_event_loops(wire: OpenAIWireServer) -> None:
    # The SDK's connections belong to the loop that opened them; a client
    # reused from a second asyncio.run must not talk through a closed loop.
    wire.script([Turn("first"), Turn("second")])
    client = aio.client(f"openai-compat:m@{wire.url}", max_retries=0)
    assert asyncio.run(client.chat("one")) == "first"
    assert asyncio.run(client.chat("two")) == "second"
    assert [m["content"] for m in client.messages] == ["one", "first", "two", "second"]
