"""``FallbackClient``: clients tried in order on connection, rate-limit and server errors,
one conversation, streams failed over only before their first chunk. Sync and async, on the
scripted provider's fault injection."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

import aimu_core
from aimu_core import aio
from aimu_core.agents import Agent
from aimu_core.errors import (
    AuthenticationError,
    ConfigurationError,
    ContextLengthError,
    ProviderError,
    RateLimitError,
    StreamInterruptedError,
)
from aimu_core.models.fallback import FallbackClient, fails_over
from aimu_core.testing import FAILURES, Turn
from aimu_core.testing.scripted import scripted_error
from aimu_core.tools import tool


def scripted(*turns: Turn | str) -> Any:
    return aimu_core.client("scripted:scripted", script=list(turns))


def ascripted(*turns: Turn | str) -> Any:
    return aio.client("scripted:scripted", script=list(turns))


@pytest.mark.parametrize("kind", sorted(FAILURES))
def test_which_errors_fail_over(kind: str) -> None:
    expected = kind in {"rate_limit", "server_error", "unavailable", "timeout", "stream_cut"}
    error = scripted_error(kind)
    if kind == "stream_cut":  # a non-streamed cut reply is a broken connection
        from aimu_core.errors import ProviderConnectionError

        error = ProviderConnectionError("cut", provider="x")
    assert fails_over(error) is expected


@pytest.mark.parametrize("fault", ["rate_limit", "server_error", "unavailable"])
def test_a_failing_client_hands_the_call_to_the_next(fault: str) -> None:
    first, second = scripted(Turn(fail=fault)), scripted("from the second")
    client = FallbackClient([first, second])
    client.system_message = "be brief"
    assert client.chat("hello") == "from the second"
    assert client.messages == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "from the second"},
    ]
    assert [type(e) for e in client.failures] == [FAILURES[fault]]
    assert client.current is second
    # both saw the same conversation: the failed attempt left nothing behind
    assert first.requests[0]["messages"] == second.requests[0]["messages"]


def test_the_conversation_goes_on_whichever_client_answers() -> None:
    first = scripted("one", Turn(fail="server_error"), "three")
    second = scripted("two")
    client = FallbackClient([first, second])
    assert [client.chat(t) for t in ("a", "b", "c")] == ["one", "two", "three"]
    assert [m["content"] for m in client.messages] == ["a", "one", "b", "two", "c", "three"]
    assert [m["content"] for m in first.requests[-1]["messages"]] == ["a", "one", "b", "two", "c"]
    assert first.messages is second.messages is client.messages


@pytest.mark.parametrize(
    ("fault", "error"),
    [("authentication", AuthenticationError), ("context_length", ContextLengthError)],
)
def test_errors_another_provider_would_share_are_raised_at_once(
    fault: str, error: type[Exception]
) -> None:
    second = scripted("never")
    client = FallbackClient([scripted(Turn(fail=fault)), second])
    with pytest.raises(error):
        client.chat("hi")
    assert second.requests == [] and client.messages == []


def test_when_every_client_fails_the_last_error_names_the_others() -> None:
    client = FallbackClient(
        [scripted(Turn(fail="rate_limit")), scripted(Turn(fail="server_error"))]
    )
    with pytest.raises(ProviderError, match="scripted server_error") as info:
        client.chat("hi")
    assert any("RateLimitError" in note for note in info.value.__notes__)
    assert client.messages == []


def test_a_stream_fails_over_before_its_first_chunk() -> None:
    first, second = scripted(Turn(fail="unavailable")), scripted("streamed answer")
    client = FallbackClient([first, second])
    chunks = list(client.chat("hi", stream=True))
    assert "".join(c.content for c in chunks if c.phase == "generating") == "streamed answer"
    assert chunks[-1].phase == "done" and client.current is second


def test_a_stream_never_fails_over_after_its_first_chunk() -> None:
    second = scripted("never")
    client = FallbackClient([scripted(Turn("partial text", fail="stream_cut")), second])
    seen = []
    with pytest.raises(StreamInterruptedError):
        for chunk in client.chat("hi", stream=True):
            seen.append(chunk)
    assert seen and second.requests == []
    assert client.messages == []  # the cut turn was rolled back


def test_an_abandoned_stream_rolls_back_and_frees_the_client() -> None:
    client = FallbackClient([scripted("a long answer here"), scripted()])
    stream = client.chat("hi", stream=True)
    next(stream)
    stream.close()
    assert client.messages == []
    assert client.chat("again") == "again"


def test_generate_fails_over_too() -> None:
    client = FallbackClient([scripted(Turn(fail="rate_limit")), scripted("completion")])
    assert client.generate("prompt") == "completion"
    assert client.messages == []


def test_an_agent_drives_a_fallback_client_with_tools() -> None:
    @tool
    def add(a: int, b: int) -> int:
        """Add.

        Args:
            a: one.
            b: two.
        """
        return a + b

    first = scripted(Turn(tool_calls=[("add", {"a": 2, "b": 3})]), Turn(fail="server_error"))
    second = scripted("5")
    agent = Agent(FallbackClient([first, second]), tools=[add], max_iterations=3)
    assert agent.run("add") == "5"
    assert first.tools == second.tools == [add]
    assert first.max_tool_rounds == second.max_tool_rounds == 3
    # the failed attempt was rolled back whole: the second client starts the call afresh
    assert [m["role"] for m in second.requests[0]["messages"]] == ["user"]
    assert [m["role"] for m in agent.messages["agent"]] == ["user", "assistant"]


def test_threads_sharing_a_fallback_client_take_turns() -> None:
    client = FallbackClient(
        [scripted(*[Turn(fail="rate_limit") if i % 2 else "ok" for i in range(40)]), scripted()]
    )

    def talk(n: int) -> None:
        for i in range(5):
            client.chat(f"{n}-{i}")

    threads = [threading.Thread(target=talk, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    roles = [m["role"] for m in client.messages]
    assert roles == ["user", "assistant"] * 20  # every turn whole, none interleaved


def test_bad_construction() -> None:
    with pytest.raises(ConfigurationError, match="at least one"):
        FallbackClient([])
    with pytest.raises(ConfigurationError, match="needs sync clients"):
        FallbackClient([ascripted()])
    with pytest.raises(ConfigurationError, match="needs async clients"):
        aio.FallbackClient([scripted()])


def test_async_fallback() -> None:
    async def run() -> None:
        first, second = (
            ascripted(Turn(fail="rate_limit"), Turn(fail="unavailable")),
            ascripted("two", "streamed"),
        )
        client = aio.FallbackClient([first, second])
        assert await client.chat("one") == "two"
        chunks = [c async for c in await client.chat("again", stream=True)]
        assert chunks[-1].content["text"] == "streamed"
        assert [m["content"] for m in client.messages] == ["one", "two", "again", "streamed"]
        assert [type(e) for e in client.failures] == [ProviderError]

        cut = aio.FallbackClient([ascripted(Turn("x" * 20, fail="stream_cut")), ascripted()])
        with pytest.raises(StreamInterruptedError):
            async for _ in await cut.chat("hi", stream=True):
                pass
        assert cut.messages == []

        agent = aio.Agent(
            aio.FallbackClient([ascripted(Turn(fail="rate_limit")), ascripted("agent answer")])
        )
        assert await agent.run("task") == "agent answer"

        shared = aio.FallbackClient(
            [
                ascripted(*[Turn(fail="rate_limit") if i % 2 else "ok" for i in range(20)]),
                ascripted(),
            ]
        )
        await asyncio.gather(*(shared.chat(f"t{i}") for i in range(8)))
        assert [m["role"] for m in shared.messages] == ["user", "assistant"] * 8

    asyncio.run(run())


def test_rate_limit_is_kept_with_its_retry_after() -> None:
    client = FallbackClient([scripted(Turn(fail="rate_limit")), scripted("ok")])
    client.chat("hi")
    (error,) = client.failures
    assert isinstance(error, RateLimitError) and error.retry_after == 7
