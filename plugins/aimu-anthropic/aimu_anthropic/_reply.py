"""Anthropic replies -> :class:`aimu_core.models.Delta` pieces.

:class:`EventReader` turns the raw server-sent events of a streamed reply into
deltas one event at a time, so text, thinking and tool-call input reach the
caller as they arrive. :func:`message_delta` does the same for a whole
non-streamed ``Message``. Both keep the turn's signed thinking blocks, which
the client must send back in front of the tool calls they led to.
"""

from __future__ import annotations

from typing import Any

from aimu_core.errors import StreamInterruptedError
from aimu_core.models.delta import Delta, ToolCallDelta

__all__ = ["EventReader", "finish_reason", "message_delta"]

_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def finish_reason(stop_reason: str | None) -> str | None:
    """Anthropic's ``stop_reason`` in the OpenAI vocabulary the rest of aimu uses."""
    if stop_reason is None:
        return None
    return _FINISH.get(stop_reason, stop_reason)


def _prompt_tokens(usage: Any) -> int:
    return (
        (getattr(usage, "input_tokens", 0) or 0)
        + (getattr(usage, "cache_creation_input_tokens", 0) or 0)
        + (getattr(usage, "cache_read_input_tokens", 0) or 0)
    )


def message_delta(message: Any) -> tuple[Delta, list[dict[str, Any]], list[str]]:
    """One ``Delta`` for a whole ``Message``, its signed thinking blocks and its tool-use ids."""
    text: list[str] = []
    thinking: list[str] = []
    calls: list[ToolCallDelta] = []
    signed: list[dict[str, Any]] = []
    for block in message.content:
        kind = block.type
        if kind == "text":
            text.append(block.text)
        elif kind == "thinking":
            thinking.append(block.thinking)
            signed.append(
                {"type": "thinking", "thinking": block.thinking, "signature": block.signature}
            )
        elif kind == "redacted_thinking":
            signed.append({"type": "redacted_thinking", "data": block.data})
        elif kind == "tool_use":
            calls.append(
                ToolCallDelta(
                    index=len(calls),
                    id=block.id,
                    name=block.name,
                    arguments=dict(block.input or {}),
                )
            )
    usage = message.usage
    delta = Delta(
        text="".join(text),
        thinking="".join(thinking),
        tool_calls=calls,
        usage={"prompt_tokens": _prompt_tokens(usage), "completion_tokens": usage.output_tokens},
        finish_reason=finish_reason(message.stop_reason),
    )
    return delta, signed, [c.id for c in calls if c.id]


class EventReader:
    """Reads one streamed reply, event by event.

    ``feed(event)`` returns the ``Delta`` the event carries, or ``None``;
    ``finish()`` raises :class:`StreamInterruptedError` when the stream ended
    without ``message_stop`` (a connection closed early but cleanly).
    """

    __slots__ = ("_blocks", "_prompt_tokens", "_tools", "signed", "stopped", "tool_ids")

    def __init__(self) -> None:
        self._tools: dict[int, int] = {}  # content block index -> tool call index
        self._blocks: dict[int, dict[str, Any]] = {}  # content block index -> signed thinking block
        self._prompt_tokens = 0
        self.signed: list[dict[str, Any]] = []
        self.tool_ids: list[str] = []
        self.stopped = False

    def feed(self, event: Any) -> Delta | None:
        kind = event.type
        if kind == "content_block_delta":
            delta = event.delta
            dkind = delta.type
            if dkind == "text_delta":
                return Delta(text=delta.text) if delta.text else None
            if dkind == "thinking_delta":
                block = self._blocks.get(event.index)
                if block is not None:
                    block["thinking"] += delta.thinking
                return Delta(thinking=delta.thinking) if delta.thinking else None
            if dkind == "input_json_delta":
                index = self._tools.get(event.index)
                if index is None or not delta.partial_json:
                    return None
                return Delta(tool_calls=[ToolCallDelta(index=index, arguments=delta.partial_json)])
            if dkind == "signature_delta":
                block = self._blocks.get(event.index)
                if block is not None:
                    block["signature"] += delta.signature
            return None  # citations and future delta kinds carry no text
        if kind == "content_block_start":
            return self._start(event.index, event.content_block)
        if kind == "message_start":
            self._prompt_tokens = _prompt_tokens(event.message.usage)
            return None
        if kind == "message_delta":
            usage = event.usage
            return Delta(
                usage={
                    "prompt_tokens": self._prompt_tokens,
                    "completion_tokens": usage.output_tokens,
                },
                finish_reason=finish_reason(event.delta.stop_reason),
            )
        if kind == "message_stop":
            self.stopped = True
        return None

    def _start(self, index: int, block: Any) -> Delta | None:
        kind = block.type
        if kind == "text":
            return Delta(text=block.text) if block.text else None
        if kind == "thinking":
            signed = {
                "type": "thinking",
                "thinking": block.thinking or "",
                "signature": block.signature or "",
            }
            self._blocks[index] = signed
            self.signed.append(signed)
            return Delta(thinking=block.thinking) if block.thinking else None
        if kind == "redacted_thinking":
            self.signed.append({"type": "redacted_thinking", "data": block.data})
            return None
        if kind == "tool_use":
            call = len(self._tools)
            self._tools[index] = call
            self.tool_ids.append(block.id)
            arguments = dict(block.input) if block.input else None
            return Delta(
                tool_calls=[
                    ToolCallDelta(index=call, id=block.id, name=block.name, arguments=arguments)
                ]
            )
        return None

    def finish(self) -> None:
        if not self.stopped:
            raise StreamInterruptedError(
                "The Anthropic stream ended before message_stop; the reply is incomplete",
                provider="anthropic",
            )
