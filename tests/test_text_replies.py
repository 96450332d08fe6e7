"""The reply-text filters in-process providers share (aimu_core.models.text_replies):
their result never depends on how the text was cut into pieces."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimu_core.errors import ConfigurationError
from aimu_core.provider import (
    TRANSCRIPT_STOP,
    ToolCallExtractor,
    Trim,
    content_text,
    parse_call,
    plain_transcript,
)

_CALL = '<tool_call>{"name": "lookup", "arguments": {"city": "Paris"}}</tool_call>'


def _pieces(text: str, cuts: list[int]) -> list[str]:
    bounds = sorted({0, len(text), *(c for c in cuts if c <= len(text))})
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


@settings(max_examples=300, deadline=None)
@given(
    before=st.text(alphabet="ab <>/_", max_size=20),
    calls=st.integers(0, 2),
    cuts=st.lists(st.integers(0, 200), max_size=12),
)
def test_tool_call_extraction_does_not_depend_on_chunking(
    before: str, calls: int, cuts: list[int]
) -> None:
    text = before + _CALL * calls
    extractor = ToolCallExtractor()
    shown = "".join(extractor.feed(piece) for piece in _pieces(text, cuts))
    rest, found = extractor.finish()
    assert found == [("lookup", {"city": "Paris"})] * calls
    # the alphabet cannot spell a tag: all text before the calls is shown, none after
    assert shown + rest == text if not calls else (shown, rest) == (before, "")


def test_a_broken_block_is_given_back_as_text() -> None:
    extractor = ToolCallExtractor()
    shown = extractor.feed("ok <tool_call>{not json}</tool_call>")
    assert extractor.finish() == ("<tool_call>{not json}</tool_call>", []) and shown == "ok "


@given(st.text(max_size=60))
def test_parse_call_never_raises(body: str) -> None:
    call = parse_call(body)
    assert call is None or (isinstance(call[0], str) and isinstance(call[1], dict))


def test_parse_call_reads_arguments_or_parameters_as_object_or_text() -> None:
    assert parse_call('{"name": "f", "parameters": {"x": 1}}') == ("f", {"x": 1})
    assert parse_call(json.dumps({"name": "f", "arguments": '{"x": 1}'})) == ("f", {"x": 1})
    assert parse_call('{"name": 3}') is None and parse_call("[1]") is None


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet="ab \n", max_size=30), cuts=st.lists(st.integers(0, 30)))
def test_trim_does_not_depend_on_chunking(text: str, cuts: list[int]) -> None:
    trim = Trim()
    assert "".join(trim.feed(piece) for piece in _pieces(text, cuts)) == text.strip()


def test_plain_transcript_and_content_text() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": "f", "arguments": '{"x": 1}'}}],
        },
        {"role": "tool", "name": "f", "content": "2"},
    ]
    text = plain_transcript(messages, lambda c: content_text(c, no_images="no"))
    assert text == (
        'Be brief.\n\nUser: hi\nAssistant: [called f({"x": 1})]\nTool result (f): 2\nAssistant:'
    )
    assert all(stop.startswith("\n") for stop in TRANSCRIPT_STOP)
    with pytest.raises(ConfigurationError, match="text only"):
        content_text([{"type": "image_url", "image_url": {"url": "x"}}], no_images="text only")
