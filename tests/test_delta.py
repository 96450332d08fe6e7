"""What providers yield: ``Delta`` pieces and their tool calls merged by ``ToolCallAccumulator``."""

from __future__ import annotations

import json

from aimu_core.models import (
    Delta,
    ToolCallAccumulator,
    ToolCallDelta,
)


def test_streamed_tool_calls_are_merged_by_index() -> None:
    acc = ToolCallAccumulator()
    assert not acc
    for piece in [
        ToolCallDelta(index=1, id="call_b", name="search", arguments=""),
        ToolCallDelta(index=0, id="call_a", name="get_weather", arguments='{"ci'),
        ToolCallDelta(index=0, arguments='ty": "Paris"}'),
        ToolCallDelta(index=1, arguments='{"q": "x"}'),
    ]:
        acc.add(piece)
    assert acc
    assert acc.result() == [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        },
        {
            "id": "call_b",
            "type": "function",
            "function": {"name": "search", "arguments": '{"q": "x"}'},
        },
    ]


def test_names_repeated_in_every_piece_or_streamed_in_fragments() -> None:
    repeated = ToolCallAccumulator()
    for args in ('{"a"', ": 1}"):
        repeated.add(ToolCallDelta(index=0, id="c", name="get_weather", arguments=args))
    assert repeated.result()[0]["function"] == {"name": "get_weather", "arguments": '{"a": 1}'}

    fragments = ToolCallAccumulator()
    for name in ("ad", "d"):  # the second fragment is a suffix of the first
        fragments.add(ToolCallDelta(index=0, name=name))
    assert fragments.result()[0]["function"]["name"] == "add"


def test_dict_arguments_missing_id_and_empty_arguments() -> None:
    acc = ToolCallAccumulator()
    acc.add(ToolCallDelta(index=0, name="lookup", arguments={"city": "Paris", "days": 2}))
    acc.add(ToolCallDelta(index=1, name="now"))
    first, second = acc.result()
    assert json.loads(first["function"]["arguments"]) == {"city": "Paris", "days": 2}
    assert first["id"].startswith("call_") and len(first["id"]) > len("call_")
    assert first["id"] != second["id"]
    assert second["function"]["arguments"] == "{}"


def test_delta_defaults() -> None:
    delta = Delta()
    assert (delta.text, delta.thinking, delta.tool_calls, delta.usage, delta.finish_reason) == (
        "",
        "",
        [],
        None,
        None,
    )
    assert Delta().tool_calls is not delta.tool_calls
