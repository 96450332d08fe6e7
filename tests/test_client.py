"""The base client contract beyond the conformance kit, through the scripted provider."""

from __future__ import annotations

import asyncio
import warnings

import pytest

import aimu_core
from aimu_core import aio
from aimu_core.errors import ConfigurationError, ProviderError, RateLimitError
from aimu_core.models import ModelClient, Phase, StreamChunk
from aimu_core.testing import Turn
from aimu_core.tools import tool


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def explode(reason: str) -> str:
    """Always fails."""
    raise RuntimeError(f"boom: {reason}")


def scripted(*turns: Turn | str, **options):
    return aimu_core.client("scripted:scripted", script=list(turns), **options)


def test_tool_loop_runs_until_the_model_answers():
    client = scripted(
        Turn(tool_calls=[("add", {"a": 1, "b": 2})]),
        Turn(tool_calls=[("add", {"a": 3, "b": 4}), ("add", {"a": "5", "b": 6})]),
        Turn("done"),
    )
    client.tools = [add]
    assert client.chat("add things") == "done"
    tool_results = [m["content"] for m in client.messages if m["role"] == "tool"]
    assert tool_results == ["3", "7", "11"]  # "5" was coerced to 5
    # the last request still offered the tool
    assert client.requests[-1]["tools"][0]["function"]["name"] == "add"


def test_tool_loop_stops_offering_tools_at_the_round_limit():
    client = scripted(*[Turn(tool_calls=[("add", {"a": 1, "b": 1})])] * 2, Turn("final"))
    client.tools = [add]
    client.max_tool_rounds = 2
    assert client.chat("loop forever") == "final"
    assert [bool(r["tools"]) for r in client.requests] == [True, True, False]


def test_tool_errors_become_messages_the_model_reads():
    client = scripted(
        Turn(
            tool_calls=[("explode", {"reason": "x"}), ("add", {"a": "not a number"}), ("nope", {})]
        ),
        Turn("recovered"),
    )
    client.tools = [add, explode]
    chunks = list(client.chat("try", stream=True))
    responses = [c.content["response"] for c in chunks if c.phase is Phase.TOOL_CALLING]
    assert responses[0] == "Error: tool explode raised RuntimeError: boom: x"
    assert "bad arguments for tool add" in responses[1] and "b" in responses[1]
    assert "no tool named 'nope'" in responses[2]
    assert client.messages[-1]["content"] == "recovered"


def test_abandoned_stream_rolls_back_history():
    client = scripted("a long answer that is never read to the end")
    stream = client.chat("hi", stream=True)
    next(stream)
    stream.close()
    assert client.messages == []


def test_failure_after_tool_round_rolls_back_whole_turn():
    client = scripted(Turn(tool_calls=[("add", {"a": 1, "b": 2})]), Turn(fail="rate_limit"))
    client.tools = [add]
    with pytest.raises(RateLimitError):
        client.chat("x")
    assert client.messages == []


def test_generation_kwargs_merge_tiers_and_reject_unknown():
    client = scripted("a", "b", default_generate_kwargs={"temperature": 0.1, "max_tokens": 5})
    client.chat("x", generate_kwargs={"temperature": 0.9})
    assert client.requests[0]["kwargs"] == {"temperature": 0.9, "max_tokens": 5}
    with pytest.raises(ConfigurationError, match="temperature=-1"):
        client.chat("y", generate_kwargs={"temperature": -1})
    with pytest.raises(ConfigurationError, match="Unknown generation kwarg 'temprature'"):
        client.chat("y", generate_kwargs={"temprature": 1})
    assert len(client.messages) == 2


def test_unsupported_portable_kwarg_is_dropped_with_one_warning():
    from aimu_core.testing.scripted import ScriptedClient

    class Narrow(ScriptedClient):
        provider = "narrow-test"
        GENERATE_KWARGS = {"temperature": "temp"}

    client = Narrow(script=["a", "b"])
    with pytest.warns(UserWarning, match="does not support 'top_k'"):
        client.chat("x", generate_kwargs={"top_k": 3, "temperature": 0.5})
    assert client.requests[0]["kwargs"] == {"temp": 0.5}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.chat("y", generate_kwargs={"top_k": 3})


def test_think_tags_split_across_chunks_for_thinking_models():
    client = scripted(Turn("42", thinking="let me think", think_tags=True))
    chunks = list(client.chat("q", stream=True))
    assert "".join(c.content for c in chunks if c.phase is Phase.THINKING) == "let me think"
    assert client.messages[-1] == {"role": "assistant", "content": "42", "thinking": "let me think"}


def test_thinking_is_not_sent_back_to_the_model():
    client = scripted(Turn("a", thinking="secret reasoning"), "b")
    client.chat("one")
    client.chat("two")
    sent = client.requests[1]["messages"]
    assert all("thinking" not in m for m in sent)


def test_non_thinking_model_keeps_tags_as_text():
    client = aimu_core.client("scripted:echo", script=[Turn("<think>x</think>y")])
    assert client.chat("q") == "<think>x</think>y"


def test_images_are_stored_as_openai_parts(tmp_path):
    from aimu_core.testing.conformance import TINY_PNG

    path = tmp_path / "pixel.png"
    path.write_bytes(TINY_PNG)
    client = scripted("seen")
    client.chat("look", images=[path, "https://example.com/cat.jpg"])
    parts = client.messages[0]["content"]
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert parts[2]["image_url"]["url"] == "https://example.com/cat.jpg"
    with pytest.raises(ConfigurationError, match="does not exist"):
        client.chat("look", images=[tmp_path / "missing.png"])
    assert len(client.messages) == 2


def test_model_client_delegates_to_the_provider_client():
    client = ModelClient("scripted:scripted", script=["hi"], system_message="sys")
    assert client.chat("hello") == "hi"
    assert client.messages is client.client.messages
    client.system_message = "new"
    assert client.client.messages[0] == {"role": "system", "content": "new"}
    assert repr(client) == "ModelClient('scripted:scripted', messages=3)"


def test_top_level_chat_is_one_call_without_tools():
    chunks = list(
        aimu_core.chat("echo me", model="scripted:echo", stream=True, include="generating")
    )
    assert all(isinstance(c, StreamChunk) and c.phase is Phase.GENERATING for c in chunks)
    assert "".join(c.content for c in chunks) == "echo me"
    assert aimu_core.chat("plain", model="scripted:echo") == "plain"


def test_default_model_from_environment(monkeypatch):
    monkeypatch.setenv("AIMU_LANGUAGE_MODEL", "scripted:echo")
    assert aimu_core.chat("from env") == "from env"


def test_async_client_tool_calls_run_concurrently_and_in_order():
    started: list[str] = []

    @tool
    async def slow(tag: str) -> str:
        """Wait a little, then echo the tag."""
        started.append(tag)
        await asyncio.sleep(0.05 if tag == "first" else 0)
        return tag.upper()

    async def run() -> list[str]:
        client = aio.client(
            "scripted:scripted",
            script=[
                Turn(tool_calls=[("slow", {"tag": "first"}), ("slow", {"tag": "second"})]),
                "ok",
            ],
        )
        client.tools = [slow]
        assert await client.chat("go") == "ok"
        return [m["content"] for m in client.messages if m["role"] == "tool"]

    assert asyncio.run(run()) == ["FIRST", "SECOND"]
    assert started == ["first", "second"]


def test_async_failure_rolls_back():
    async def run() -> None:
        client = aio.client("scripted:scripted", script=["ok", Turn(fail="server_error")])
        await client.chat("one")
        with pytest.raises(ProviderError):
            await client.chat("two")
        assert [m["role"] for m in client.messages] == ["user", "assistant"]

    asyncio.run(run())


# -- capabilities the model lacks (issue 15) ---------------------------------------------


@tool
def _shout(text: str) -> str:
    """Upper-case the text."""
    return text.upper()


@pytest.mark.parametrize("make", [aimu_core.client, aio.client])
def test_tools_on_a_model_without_tool_support_are_not_sent_and_warned_once(make) -> None:
    model = f"scripted:no-tools-{make.__module__.replace('.', '-')}"  # ad hoc, no ;tools flag
    client = make(model, tools=[_shout])

    async def chat(text: str) -> str:
        result = client.chat(text)
        return await result if asyncio.iscoroutine(result) else result

    with pytest.warns(UserWarning, match="does not support tool calling") as caught:
        assert asyncio.run(chat("hi")) == "hi"
    (warning,) = caught
    assert "add ;tools to the model string" in str(warning.message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert asyncio.run(chat("again")) == "again"  # once per model and process
    assert [r["tools"] for r in client.client.requests] == [[], []]


def test_the_vision_hint_fits_the_model_in_hand() -> None:
    from aimu_core.testing.conformance import TINY_PNG

    with pytest.raises(ConfigurationError) as catalog:
        aimu_core.client("scripted:echo").chat("look", images=[TINY_PNG])
    assert "use a model of this catalog with vision: scripted" in str(catalog.value)
    assert ";vision" not in str(catalog.value)  # flags are refused on catalog models
    with pytest.raises(ConfigurationError) as ad_hoc:
        aimu_core.client("scripted:my-model").chat("look", images=[TINY_PNG])
    assert "add ;vision to the model string" in str(ad_hoc.value)
    assert aimu_core.client("scripted:my-model;vision").chat("look", images=[TINY_PNG]) == "look"
