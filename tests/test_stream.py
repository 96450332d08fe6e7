"""Stream phases: ``include=`` parsing and ``StreamChunk`` filtering."""

from __future__ import annotations

import pytest

from aimu_core.errors import ConfigurationError
from aimu_core.models import (
    Phase,
    StreamChunk,
)
from aimu_core.models.stream import filter_phases, parse_include


def test_parse_include() -> None:
    assert parse_include(None) is None
    assert parse_include("thinking") == {Phase.THINKING}
    assert parse_include(Phase.DONE) == {Phase.DONE}
    assert parse_include(["generating", Phase.TOOL_CALLING]) == {
        Phase.GENERATING,
        Phase.TOOL_CALLING,
    }
    with pytest.raises(ConfigurationError, match="unknown phase 'answer'; valid phases are"):
        parse_include(["answer"])


def test_filter_phases_and_stream_chunk() -> None:
    chunks = [
        StreamChunk(Phase.THINKING, "t"),
        StreamChunk(Phase.GENERATING, "a"),
        StreamChunk(Phase.DONE, {"text": "a"}),
    ]
    assert list(filter_phases(iter(chunks), None)) == chunks
    assert list(filter_phases(iter(chunks), frozenset({Phase.GENERATING}))) == [chunks[1]]
    chunk = chunks[0]
    assert (chunk.agent, chunk.iteration) == (None, 0)
    assert chunk.phase == "thinking"  # a str enum: compares to its name
