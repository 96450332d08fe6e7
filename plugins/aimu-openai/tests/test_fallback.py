"""``FallbackClient`` over real OpenAI SDK clients: a refused connection and a 503 fail over."""

from __future__ import annotations

import pytest
from aimu_openai.testing import OpenAIWireServer

import aimu_core
from aimu_core.errors import AuthenticationError, ProviderConnectionError, ProviderError
from aimu_core.testing import Turn


def test_a_dead_server_and_an_overloaded_one_hand_over_to_a_live_one(
    wire: OpenAIWireServer, closed_url: str
) -> None:
    dead = aimu_core.client(f"openai-compat:m@{closed_url}", max_retries=0)
    busy = aimu_core.client(f"openai-compat:m@{wire.url}", max_retries=0)
    live = aimu_core.client(f"openai-compat:backup@{wire.url}", max_retries=0)
    wire.script([Turn(fail="unavailable"), "from the backup", "streamed"])
    client = aimu_core.FallbackClient([dead, busy, live])
    client.system_message = "Be brief."
    assert client.chat("hello") == "from the backup"
    assert [type(e) for e in client.failures] == [ProviderConnectionError, ProviderError]
    assert client.failures[1].status_code == 503
    # the backup got the conversation, system message first
    assert wire.last["model"] == "backup"
    assert [m["role"] for m in wire.last["messages"]] == ["system", "user"]
    text = "".join(c.content for c in client.chat("more", stream=True) if c.phase == "generating")
    assert text == "streamed"
    assert [m["content"] for m in client.messages] == [
        "Be brief.",
        "hello",
        "from the backup",
        "more",
        "streamed",
    ]


def test_a_rejected_key_is_not_failed_over(wire: OpenAIWireServer) -> None:
    wire.script([Turn(fail="authentication")])
    first = aimu_core.client(f"openai-compat:m@{wire.url}", max_retries=0, api_key="sk-bad-key")
    second = aimu_core.client(f"openai-compat:backup@{wire.url}", max_retries=0)
    with pytest.raises(AuthenticationError):
        aimu_core.FallbackClient([first, second]).chat("hi")
    assert len(wire.requests) == 1
