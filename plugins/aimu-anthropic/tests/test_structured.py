"""``schema=`` through the real anthropic SDK: a forced output tool whose input is the answer."""

from __future__ import annotations

import asyncio
from typing import Any

import pydantic
from aimu_anthropic.testing import FakeAnthropic

import aimu_core
from aimu_core import aio
from aimu_core.agents import Agent
from aimu_core.testing import Turn


class City(pydantic.BaseModel):
    name: str
    population: int


def test_the_schema_is_a_forced_tool_and_its_input_the_answer(
    api: FakeAnthropic, options: dict[str, Any]
) -> None:
    api.script([Turn(tool_calls=[("City", {"name": "Paris", "population": 2100000})])])
    client = aimu_core.client("anthropic:claude-haiku-4-5", **options)
    assert client.chat("Biggest French city?", schema=City) == City(
        name="Paris", population=2_100_000
    )
    body = api.bodies[0]
    assert body["tool_choice"] == {"type": "any"}
    (offered,) = body["tools"]
    assert offered["name"] == "City" and offered["input_schema"] == City.model_json_schema()
    assert client.messages[-1] == {
        "role": "assistant",
        "content": '{"name": "Paris", "population": 2100000}',
    }


def test_with_tools_the_output_tool_ends_the_loop(
    api: FakeAnthropic, options: dict[str, Any]
) -> None:
    def population(city: str) -> int:
        """Population.

        Args:
            city: the city.
        """
        return 2_100_000

    api.script(
        [
            Turn(tool_calls=[("population", {"city": "Paris"})]),
            Turn(tool_calls=[("City", {"name": "Paris", "population": 2100000})]),
        ]
    )
    client = aimu_core.client("anthropic:claude-haiku-4-5", **options)
    agent = Agent(client, tools=[population])
    chunks = list(agent.run("How many live in Paris?", stream=True, schema=City))
    assert chunks[-1].content["structured"] == City(name="Paris", population=2_100_000)
    assert [t["name"] for t in api.bodies[0]["tools"]] == ["population", "City"]
    assert [m["role"] for m in client.messages] == ["user", "assistant", "tool", "assistant"]


def test_plain_text_is_parsed_when_the_model_answers_without_the_tool(
    api: FakeAnthropic, options: dict[str, Any]
) -> None:
    api.script(['{"name": "Paris", "population": 1}'])

    async def run() -> Any:
        client = aio.client("anthropic:claude-haiku-4-5", **options)
        return await client.chat("?", schema=City)

    assert asyncio.run(run()).population == 1
