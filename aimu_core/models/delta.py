"""What a provider's ``_chat``/``_generate`` yields: :class:`Delta` pieces of one model turn.

A provider turns its SDK's response (streamed or not) into ``Delta`` objects;
the base client does everything else: ``<think>`` splitting, tool-call
accumulation, history, the tool loop and ``StreamChunk`` output. A
non-streamed reply is simply one ``Delta`` with everything in it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FINISH_REASONS", "Delta", "ToolCallAccumulator", "ToolCallDelta"]

#: The finish reasons a provider reports, in OpenAI's vocabulary (translate
#: yours, e.g. Anthropic's ``end_turn`` is ``"stop"``): the model ended its
#: answer or hit a stop sequence; it hit ``max_tokens``; it asked for tools; a
#: filter cut the answer. A provider with another reason may pass it through.
FINISH_REASONS = ("stop", "length", "tool_calls", "content_filter")


@dataclass
class ToolCallDelta:
    """A piece of one tool call. Pieces with the same ``index`` belong to one call.

    Attributes:
        index: which call of the turn this piece belongs to (0, 1, ...).
        id: the call's id, in any one piece (one is made up when none comes).
        name: the tool's name, in one piece, or in fragments that are concatenated.
        arguments: a piece of JSON text (concatenated across pieces) or a
            complete ``dict`` (as non-streaming SDKs give it).
    """

    index: int = 0
    id: str | None = None
    name: str | None = None
    arguments: str | dict[str, Any] | None = None


@dataclass
class Delta:
    """A piece of a model turn: answer text, reasoning, tool-call pieces, usage, finish reason.

    Attributes:
        text: answer text; concatenated across deltas. It may contain
            ``<think>`` tags: the base client splits them out for thinking models.
        thinking: reasoning from a separate channel of the API, concatenated.
        tool_calls: :class:`ToolCallDelta` pieces.
        usage: token counts of the whole turn, usually on the last delta:
            ``prompt_tokens``, ``completion_tokens`` (and ``total_tokens``,
            ``reasoning_tokens`` when the API says). The last one given wins.
        finish_reason: why the turn ended, one of :data:`FINISH_REASONS`;
            usually on the last delta.
    """

    text: str = ""
    thinking: str = ""
    tool_calls: list[ToolCallDelta] = field(default_factory=list)
    usage: dict[str, int] | None = None
    finish_reason: str | None = None


class ToolCallAccumulator:
    """Merge streamed :class:`ToolCallDelta` pieces into complete OpenAI-format tool calls."""

    def __init__(self) -> None:
        self._calls: dict[int, dict[str, Any]] = {}

    def add(self, piece: ToolCallDelta) -> None:
        call = self._calls.setdefault(piece.index, {"id": None, "name": "", "arguments": ""})
        if piece.id:
            call["id"] = piece.id
        # Most APIs send the name once; a few repeat the whole name in every
        # piece; some stream it in fragments (which may repeat a suffix: "ad"+"d").
        if piece.name and piece.name != call["name"]:
            call["name"] += piece.name
        if isinstance(piece.arguments, dict):
            call["arguments"] = json.dumps(piece.arguments)
        elif piece.arguments:
            call["arguments"] += piece.arguments

    def __bool__(self) -> bool:
        return bool(self._calls)

    def result(self) -> list[dict[str, Any]]:
        """The complete calls, in index order, as the OpenAI ``tool_calls`` field holds them."""
        return [
            {
                "id": call["id"] or f"call_{uuid.uuid4().hex[:12]}",
                "type": "function",
                "function": {"name": call["name"], "arguments": call["arguments"] or "{}"},
            }
            for _, call in sorted(self._calls.items())
        ]
