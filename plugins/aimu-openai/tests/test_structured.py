"""``schema=`` through the real OpenAI SDK: ``response_format`` json_schema reaches the server."""

from __future__ import annotations

import asyncio
from typing import Any

import pydantic
import pytest
from aimu_openai.testing import OpenAIWireServer

import aimu_core
from aimu_core import aio
from aimu_core.errors import StructuredOutputError
from aimu_core.testing import Turn


class City(pydantic.BaseModel):
    name: str
    population: int


PARIS = '{"name": "Paris", "population": 2100000}'


def compat(wire: OpenAIWireServer, **options: Any) -> Any:
    return aimu_core.client(f"openai-compat:m@{wire.url};tools", max_retries=0, **options)


def _format(body: dict[str, Any]) -> dict[str, Any]:
    return body["response_format"]  # type: ignore[no-any-return]


def test_chat_sends_the_schema_and_returns_the_object(wire: OpenAIWireServer) -> None:
    wire.script([PARIS])
    client = compat(wire)
    assert client.chat("Biggest French city?", schema=City) == City(
        name="Paris", population=2_100_000
    )
    sent = _format(wire.last)
    assert sent == {
        "type": "json_schema",
        "json_schema": {"name": "City", "schema": City.model_json_schema()},
    }
    assert wire.last["messages"][-1]["content"] == "Biggest French city?"  # no prompt added


def test_streamed_generate_and_repair(wire: OpenAIWireServer) -> None:
    wire.script(['{"name": "Paris"}', PARIS])
    client = compat(wire)
    chunks = list(client.generate("A city", schema=City, stream=True))
    assert chunks[-1].content["structured"].population == 2_100_000
    assert [_format(body)["json_schema"]["name"] for body in wire.bodies] == ["City", "City"]
    assert wire.bodies[0]["stream"] is True


def test_invalid_twice_is_a_typed_error_with_the_raw_text(wire: OpenAIWireServer) -> None:
    wire.script(["nope", "still nope"])
    client = compat(wire)
    with pytest.raises(StructuredOutputError) as info:
        client.chat("?", schema=City)
    assert info.value.raw == "still nope" and client.messages == []


def test_async_with_tools(wire: OpenAIWireServer) -> None:
    def population(city: str) -> int:
        """Population.

        Args:
            city: the city.
        """
        return 2_100_000

    wire.script([Turn(tool_calls=[("population", {"city": "Paris"})]), PARIS])

    async def run() -> Any:
        client = aio.client(f"openai-compat:m@{wire.url};tools", max_retries=0)
        agent = aio.Agent(client, tools=[population])
        return await agent.run("How many?", schema=City)

    assert asyncio.run(run()).population == 2_100_000
    first, second = wire.bodies
    assert first["tools"][0]["function"]["name"] == "population"
    assert _format(first) == _format(second)
