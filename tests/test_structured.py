"""``schema=``: validated objects from chat(), generate() and Agent.run(), on the scripted model.

Prompt-and-parse (the scripted provider has no native way), a provider's
native kwargs and a forced output tool (through ``_native_schema`` on a
scripted subclass), the one repair request, the typed error carrying the raw
text, streaming's ``done`` chunk, and the async twins.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aimu_core
from aimu_core import aio
from aimu_core.agents import Agent
from aimu_core.errors import ConfigurationError, StructuredOutputError
from aimu_core.models.structured import NativeSchema, OutputSchema
from aimu_core.testing import Turn
from aimu_core.testing.scripted import ScriptedAsyncClient, ScriptedClient, ScriptedModel
from aimu_core.tools import tool


class City(pydantic.BaseModel):
    name: str
    population: int


PARIS = '{"name": "Paris", "population": 2100000}'


def scripted(*turns: Turn | str) -> Any:
    return aimu_core.client("scripted:scripted", script=list(turns))


def test_chat_returns_the_validated_object_and_keeps_it() -> None:
    client = scripted(PARIS)
    city = client.chat("Biggest French city?", schema=City)
    assert city == City(name="Paris", population=2_100_000)
    assert client.last_structured == city
    # prompt-and-parse: the schema was stated in the user turn
    sent = client.requests[0]["messages"][-1]["content"]
    assert sent.startswith("Biggest French city?\n\nAnswer with only a JSON value")
    assert json.loads(sent.split("\n")[-1]) == City.model_json_schema()
    assert client.messages[-1] == {"role": "assistant", "content": PARIS}
    client.chat("thanks")
    assert client.last_structured is None


@pytest.mark.parametrize(
    "reply",
    [
        f"```json\n{PARIS}\n```",
        f"Sure! Here it is: {PARIS} Hope that helps.",
        f"  {PARIS}\n",
    ],
)
def test_json_is_found_in_fences_and_prose(reply: str) -> None:
    assert scripted(reply).chat("?", schema=City).name == "Paris"


def test_one_repair_request_then_the_repaired_answer_replaces_the_bad_one() -> None:
    client = scripted('{"name": "Paris"}', PARIS)
    assert client.chat("?", schema=City).population == 2_100_000
    repair = client.requests[1]["messages"][-1]["content"]
    assert repair.startswith("That reply does not match the required JSON schema: population:")
    assert [m["role"] for m in client.messages] == ["user", "assistant"]
    assert client.messages[-1]["content"] == PARIS


def test_a_second_invalid_answer_raises_with_the_raw_text_and_rolls_back() -> None:
    client = scripted("hello", "not json", '{"name": 3, "population": "many"}')
    client.chat("warm up")
    before = [dict(m) for m in client.messages]
    with pytest.raises(StructuredOutputError, match="even after a repair request") as info:
        client.chat("?", schema=City)
    assert info.value.raw == '{"name": 3, "population": "many"}'
    assert "population" in info.value.problems
    assert client.messages == before
    assert len(client.requests) == 3


def test_json_schema_dicts_are_validated_too() -> None:
    schema = {
        "type": "object",
        "properties": {"tags": {"type": "array", "items": {"type": "string"}}},
        "required": ["tags"],
        "additionalProperties": False,
    }
    assert scripted('{"tags": ["a", "b"]}').chat("?", schema=schema) == {"tags": ["a", "b"]}
    client = scripted('{"tags": [1], "extra": true}', '{"tags": ["1"]}')
    assert client.chat("?", schema=schema) == {"tags": ["1"]}
    problems = client.requests[1]["messages"][-1]["content"]
    assert "tags.0: expected string" in problems and "extra: not allowed" in problems


def test_other_types_pydantic_validates() -> None:
    assert scripted("[1, 2, 3]").chat("?", schema=list[int]) == [1, 2, 3]


def test_a_bad_schema_is_refused_before_any_request() -> None:
    client = scripted("x")
    with pytest.raises(ConfigurationError, match="neither a JSON schema dict"):
        client.chat("?", schema=object())
    with pytest.raises(ConfigurationError, match="empty"):
        client.chat("?", schema={})
    assert client.requests == [] and client.messages == []


def test_streaming_ends_with_a_done_chunk_holding_the_object() -> None:
    chunks = list(scripted(PARIS).chat("?", schema=City, stream=True))
    assert "".join(c.content for c in chunks if c.phase == "generating") == PARIS
    assert chunks[-1].phase == "done" and chunks[-1].content["structured"].name == "Paris"


def test_generate_with_a_schema_and_its_repair() -> None:
    client = scripted("oops", PARIS)
    assert client.generate("Name a city as JSON", schema=City).name == "Paris"
    retry = client.requests[1]["messages"][-1]["content"]
    assert retry.startswith("Name a city as JSON") and "oops" in retry
    assert client.messages == [] and client.last_structured.name == "Paris"


def test_tools_run_before_the_structured_answer() -> None:
    @tool
    def population(city: str) -> int:
        """Population of a city.

        Args:
            city: the city.
        """
        return 2_100_000

    client = scripted(Turn(tool_calls=[("population", {"city": "Paris"})]), PARIS)
    agent = Agent(client, tools=[population])
    assert agent.run("How many live in Paris?", schema=City).population == 2_100_000
    assert [m["role"] for m in client.messages] == ["user", "assistant", "tool", "assistant"]


# -- a provider's native way ------------------------------------------------------------


class _NativeKwargs(ScriptedClient):
    def _native_schema(self, schema: OutputSchema) -> NativeSchema:
        return NativeSchema(kwargs={"response_format": {"schema": schema.json_schema}})


class _OutputTool(ScriptedClient):
    def _native_schema(self, schema: OutputSchema) -> NativeSchema:
        return NativeSchema(
            kwargs={"tool_choice": {"type": "tool", "name": schema.name}}, as_tool=True
        )


def test_native_kwargs_reach_every_request_and_no_instructions_are_added() -> None:
    client = _NativeKwargs(ScriptedModel.SCRIPTED, script=[PARIS])
    assert client.chat("?", schema=City).name == "Paris"
    request = client.requests[0]
    assert request["kwargs"]["response_format"]["schema"] == City.model_json_schema()
    assert request["messages"][-1]["content"] == "?"


def test_a_forced_output_tool_is_the_answer() -> None:
    client = _OutputTool(
        ScriptedModel.SCRIPTED,
        script=[Turn(tool_calls=[("City", {"name": "Paris", "population": 5})])],
    )
    assert client.chat("?", schema=City) == City(name="Paris", population=5)
    (spec,) = client.requests[0]["tools"]
    assert spec["function"]["name"] == "City"
    assert spec["function"]["parameters"] == City.model_json_schema()
    assert client.messages[-1] == {
        "role": "assistant",
        "content": '{"name": "Paris", "population": 5}',
    }


def test_an_output_tool_wraps_a_schema_that_is_not_an_object() -> None:
    client = _OutputTool(
        ScriptedModel.SCRIPTED, script=[Turn(tool_calls=[("output", {"value": [3, 4]})])]
    )
    assert client.chat("?", schema={"type": "array", "items": {"type": "integer"}}) == [3, 4]
    parameters = client.requests[0]["tools"][0]["function"]["parameters"]
    assert parameters["required"] == ["value"]


def test_generate_has_no_tools_so_an_output_tool_provider_falls_back_to_the_prompt() -> None:
    client = _OutputTool(ScriptedModel.SCRIPTED, script=[PARIS])
    assert client.generate("?", schema=City).name == "Paris"
    assert "Answer with only a JSON value" in client.requests[0]["messages"][-1]["content"]
    assert client.requests[0]["tools"] == []


# -- async ---------------------------------------------------------------------------------


def test_async_chat_generate_stream_and_agent() -> None:
    class NativeAsync(ScriptedAsyncClient):
        def _native_schema(self, schema: OutputSchema) -> NativeSchema:
            return NativeSchema(kwargs={"format": schema.json_schema})

    async def run() -> None:
        client = aio.client("scripted:scripted", script=["bad", PARIS, PARIS, PARIS])
        assert (await client.chat("?", schema=City)).name == "Paris"
        assert (await client.generate("?", schema=City)).population == 2_100_000
        chunks = [c async for c in await client.chat("?", schema=City, stream=True)]
        assert chunks[-1].content["structured"] == City(name="Paris", population=2_100_000)
        agent = aio.Agent(aio.client("scripted:scripted", script=[PARIS]))
        assert (await agent.run("?", schema=City)).name == "Paris"
        native = NativeAsync(ScriptedModel.SCRIPTED, script=[PARIS])
        assert (await native.chat("?", schema=City)).name == "Paris"
        assert native.requests[0]["kwargs"]["format"] == City.model_json_schema()
        failing = aio.client("scripted:scripted", script=["no", "still no"])
        with pytest.raises(StructuredOutputError):
            await failing.chat("?", schema=City)
        assert failing.messages == []

    asyncio.run(run())


# -- the parser, property-based --------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=10,
)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(max_size=8), _json, max_size=5), st.sampled_from(["", "Sure: "]))
def test_any_object_round_trips_through_prose_and_fences(data: dict[str, Any], lead: str) -> None:
    schema = OutputSchema({"type": "object"})
    text = json.dumps(data)
    assert schema.parse(f"{lead}{text}") == data
    assert schema.parse(f"```json\n{text}\n```") == data


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_reply_parses_or_names_its_problem(text: str) -> None:
    try:
        OutputSchema(City).parse(text)
    except ValueError as exc:
        assert str(exc)


def test_an_async_client_over_a_sync_one_uses_the_providers_native_way() -> None:
    from aimu_core.models.threaded import ThreadedAsyncClient

    async def run() -> Any:
        client = ThreadedAsyncClient(_NativeKwargs(ScriptedModel.SCRIPTED, script=[PARIS]))
        return await client.chat("?", schema=City), client.sync_client.requests

    city, requests = asyncio.run(run())
    assert city.name == "Paris" and "response_format" in requests[0]["kwargs"]


def test_a_workflow_validates_its_final_answer() -> None:
    from aimu_core.agents import Chain

    first, last = scripted("Paris it is"), scripted(PARIS)
    assert Chain([first, last]).run("a city", schema=City).name == "Paris"
    assert len(last.requests) == 1  # a valid answer needs no repair
    chunks = list(Chain([scripted("x"), scripted(PARIS)]).run("a city", stream=True, schema=City))
    assert chunks[-1].content["structured"].population == 2_100_000

    async def run() -> Any:
        chain = aio.Chain([aio.client("scripted:scripted", script=[PARIS])])
        return await chain.run("a city", schema=City)

    assert asyncio.run(run()).name == "Paris"


def test_a_workflow_sends_one_repair_request_to_the_member_that_answered() -> None:
    from aimu_core.agents import Chain

    first, last = scripted("Paris"), scripted("The city is Paris.", PARIS)
    assert Chain([first, last]).run("a city", schema=City) == City(
        name="Paris", population=2_100_000
    )
    assert len(first.requests) == 1  # only the member whose answer it was is asked
    repair = last.requests[1]["messages"][-1]["content"]
    # the member starts each run afresh, so the request quotes its answer
    assert repair.startswith("Your answer:\nThe city is Paris.\n")
    assert "the reply is not JSON" in repair
    assert json.dumps(City.model_json_schema()) in repair


def test_a_workflow_raises_with_the_raw_text_when_the_repair_fails() -> None:
    from aimu_core.agents import Chain

    chain = Chain([scripted(PARIS), scripted("no JSON here", '{"name": "Paris"}')])
    with pytest.raises(StructuredOutputError, match="even after a repair request") as info:
        chain.run("a city", schema=City)
    assert info.value.raw == '{"name": "Paris"}'
    assert "population" in info.value.problems
    assert "chain.step1" in str(info.value)  # the member that was asked


def test_a_workflow_streams_its_repair_as_one_more_step() -> None:
    from aimu_core.agents import Router
    from aimu_core.models import Phase

    router = Router(
        scripted("cities"), {"cities": scripted("Paris, 2.1 million", PARIS)}, prompt=None
    )
    chunks = list(router.run("biggest French city", stream=True, schema=City))
    handler = [c for c in chunks if c.phase is Phase.GENERATING and c.agent == "router.cities"]
    # the handler's answer, then its repair, streamed in that order as iteration 1
    assert "".join(c.content for c in handler) == "Paris, 2.1 million" + PARIS
    assert {c.iteration for c in handler} == {1}
    done = chunks[-1]
    assert done.phase is Phase.DONE and done.content["text"] == PARIS
    assert done.content["structured"] == City(name="Paris", population=2_100_000)


def test_each_workflow_repairs_through_the_member_whose_answer_it_kept() -> None:
    from aimu_core.agents import EvaluatorOptimizer, Parallel

    aggregator = scripted("Paris", PARIS)
    parallel = Parallel([scripted("a"), scripted("b")], aggregator=aggregator)
    assert parallel.run("a city", schema=City).name == "Paris"
    assert aggregator.requests[1]["messages"][-1]["content"].startswith("Your answer:\nParis")

    # the evaluator speaks last, but the answer is the generator's accepted draft
    generator, evaluator = scripted("Paris, big", PARIS), scripted("PASS")
    loop = EvaluatorOptimizer(generator, evaluator, max_rounds=1)
    assert loop.run("a city", schema=City).name == "Paris"
    assert len(evaluator.requests) == 1 and len(generator.requests) == 2


def test_a_joined_parallel_answer_has_no_member_to_repair_it() -> None:
    from aimu_core.agents import Parallel

    workers = [scripted(PARIS), scripted(PARIS)]
    with pytest.raises(StructuredOutputError, match="aggregator=") as info:
        Parallel(workers).run("a city", schema=City)
    assert info.value.raw == f"{PARIS}\n\n{PARIS}"
    assert [len(w.requests) for w in workers] == [1, 1]  # nobody was asked to repair
    single = Parallel([scripted(PARIS)])
    assert single.run("a city", schema=City).name == "Paris"


def test_the_async_workflows_repair_like_the_sync_ones() -> None:
    def client(*turns: str) -> Any:
        return aio.client("scripted:scripted", script=list(turns))

    async def run() -> Any:
        last = client("Paris", PARIS)
        chain = aio.Chain([client("x"), last])
        city = await chain.run("a city", schema=City)
        stream = await aio.Chain([client("x"), client("Paris", PARIS)]).run(
            "a city", stream=True, schema=City
        )
        chunks = [chunk async for chunk in stream]
        aggregator = client("Paris", PARIS)
        parallel = aio.Parallel([client("a"), client("b")], aggregator=aggregator)
        return city, len(last.requests), chunks[-1], await parallel.run("a city", schema=City)

    city, asked, done, aggregated = asyncio.run(run())
    assert city.name == "Paris" and asked == 2
    assert done.content["structured"].population == 2_100_000
    assert aggregated.name == "Paris"
