"""``schema=`` on the real embedded model: a JSON grammar makes even a 270M base model's
output parse and validate."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import pydantic

from aimu_core import aio
from conftest import MODEL, OPTIONS


class Weather(pydantic.BaseModel):
    sky: Literal["sunny", "cloudy", "rainy"]
    windy: bool


def test_chat_output_is_constrained_by_the_grammar(client: Any) -> None:
    weather = client.chat("What is the weather like?", schema=Weather)
    assert isinstance(weather, Weather)
    assert client.last_structured == weather
    # a valid first answer: no repair request was needed
    assert [m["role"] for m in client.messages] == ["user", "assistant"]
    assert Weather.model_validate_json(client.messages[-1]["content"]) == weather


def test_streamed_generate_with_a_dict_schema(client: Any) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "integer"}},
        "required": ["answer"],
    }
    chunks = list(client.generate("Two plus two is", schema=schema, stream=True))
    structured = chunks[-1].content["structured"]
    assert isinstance(structured["answer"], int)
    assert chunks[-1].phase == "done"


def test_async(session_client: Any) -> None:
    async def run() -> Any:
        client = aio.client(MODEL, **OPTIONS)
        return await client.chat("Describe today's weather.", schema=Weather)

    assert isinstance(asyncio.run(run()), Weather)
