"""``schema=`` through the real ollama SDK: the schema goes to the server as ``format``."""

from __future__ import annotations

import asyncio
from typing import Any

import pydantic
from aimu_ollama.testing import FakeOllama

from aimu_core import aio


class City(pydantic.BaseModel):
    name: str
    population: int


PARIS = '{"name": "Paris", "population": 2100000}'


def test_chat_and_generate_send_the_schema_as_format(server: FakeOllama, make: Any) -> None:
    server.script([PARIS, '{"name": "Lyon", "population": 500000}'])
    client = make()
    assert client.chat("Biggest city?", schema=City).name == "Paris"
    assert client.generate("Another city", schema=City).name == "Lyon"
    chat_body, generate_body = server.bodies
    assert chat_body["format"] == City.model_json_schema()
    assert generate_body["format"] == City.model_json_schema()
    assert chat_body["messages"][-1]["content"] == "Biggest city?"


def test_streamed_with_one_repair(server: FakeOllama, make: Any) -> None:
    server.script(['{"name": "Paris"}', PARIS])
    chunks = list(make().chat("?", schema=City, stream=True))
    assert chunks[-1].content["structured"] == City(name="Paris", population=2_100_000)
    assert len(server.bodies) == 2 and all(b["format"] for b in server.bodies)


def test_async(server: FakeOllama) -> None:
    server.script([PARIS])

    async def run() -> Any:
        client = aio.client("ollama:qwen3:8b", base_url=server.url)
        return await client.chat("?", schema={"type": "object", "required": ["name"]})

    assert asyncio.run(run())["name"] == "Paris"
    assert server.bodies[0]["format"] == {"type": "object", "required": ["name"]}
