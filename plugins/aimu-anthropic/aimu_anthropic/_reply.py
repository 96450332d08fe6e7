"""Anthropic replies -> :class:`~aimu_core.provider.Delta` pieces: :class:`ReplyReader`.

A streamed reply is read from its raw server-sent events one at a time, so
text, thinking and tool-call input reach the caller as they arrive; a
non-streamed ``Message`` is read block by block the same way into one delta.
A finished reply's signed thinking blocks are kept: with thinking on,
Anthropic requires them back in front of the tool calls they led to.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from aimu_core.provider import (
    Delta,
    ErrorContext,
    ToolCallDelta,
    invalid_response,
    stream_interrupted,
)

from ._messages import Json

__all__ = ["ReplyReader", "SignedThinking"]

#: The id of a turn's first tool call -> that turn's signed thinking blocks.
SignedThinking = OrderedDict[str, list[Json]]
#: Turns of signed thinking a client keeps (one per tool-calling turn).
_SIGNED_KEEP = 64
#: Anthropic's ``stop_reason`` -> aimu's (OpenAI's) finish reasons.
_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
_PROMPT_FIELDS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
_EXPECTED = "a reply of the Messages API"


def _finish_reason(stop_reason: str | None) -> str | None:
    return None if stop_reason is None else _FINISH.get(stop_reason, stop_reason)


def _prompt_tokens(usage: Any) -> int:
    """Input tokens, cached or not (older SDKs have no cache fields)."""
    return sum(getattr(usage, field, 0) or 0 for field in _PROMPT_FIELDS)


def _usage(prompt_tokens: int, usage: Any) -> dict[str, int]:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": usage.output_tokens}


class ReplyReader:
    """Reads one reply: :meth:`message` a whole one, or :meth:`feed` then :meth:`finish` a stream.

    Both keep the turn's signed thinking in *kept* once the reply is complete.
    """

    __slots__ = (
        "_blocks",
        "_errors",
        "_prompt_tokens",
        "_kept",
        "_started",
        "_thinking",
        "_tools",
        "_stopped",
    )

    def __init__(self, kept: SignedThinking, errors: ErrorContext) -> None:
        self._kept = kept
        self._errors = errors
        self._tools: dict[int, ToolCallDelta] = {}  # content block index -> its tool call
        self._blocks: dict[int, Json] = {}  # content block index -> signed thinking
        self._prompt_tokens = 0
        self._thinking: list[Json] = []  # the signed blocks, in order
        self._started = False
        self._stopped = False

    def message(self, message: Any) -> Delta:
        """One delta for a whole non-streamed ``Message``."""
        if not isinstance(getattr(message, "content", None), list):
            # The SDK hands back the text of a 200 that is not JSON (an HTML page).
            shown = message[:200] if isinstance(message, str) else type(message).__name__
            raise invalid_response(self._errors, f"got {shown!r}", _EXPECTED)
        blocks = enumerate(message.content)
        pieces = [p for i, block in blocks if (p := self._start(i, block)) is not None]
        self._keep()
        return Delta(
            text="".join(p.text for p in pieces),
            thinking="".join(p.thinking for p in pieces),
            tool_calls=[c for p in pieces for c in p.tool_calls],
            usage=_usage(_prompt_tokens(message.usage), message.usage),
            finish_reason=_finish_reason(message.stop_reason),
        )

    def feed(self, event: Any) -> Delta | None:
        """The delta one streamed event carries, or ``None``."""
        kind = event.type
        if kind == "content_block_delta":  # most events: test it first
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
                call = self._tools.get(event.index)
                if call is None or not delta.partial_json:
                    return None
                piece = ToolCallDelta(index=call.index, arguments=delta.partial_json)
                return Delta(tool_calls=[piece])
            if dkind == "signature_delta":
                block = self._blocks.get(event.index)
                if block is not None:
                    block["signature"] += delta.signature
            return None  # citations and future delta kinds carry no text
        if kind == "content_block_start":
            return self._start(event.index, event.content_block)
        if kind == "message_start":
            self._started = True
            self._prompt_tokens = _prompt_tokens(event.message.usage)
        elif kind == "message_delta":
            usage = _usage(self._prompt_tokens, event.usage)
            return Delta(usage=usage, finish_reason=_finish_reason(event.delta.stop_reason))
        elif kind == "message_stop":
            self._stopped = True
        return None

    def finish(self) -> None:
        """After the last event: a stream that ended before ``message_stop`` was cut off,
        and one without even a ``message_start`` was not the Messages API's (an HTML page)."""
        if not self._started:
            raise invalid_response(self._errors, "a stream without a message_start", _EXPECTED)
        if not self._stopped:
            raise stream_interrupted(self._errors, "the stream ended before message_stop")
        self._keep()

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
            self._thinking.append(signed)
            return Delta(thinking=block.thinking) if block.thinking else None
        if kind == "redacted_thinking":
            self._thinking.append({"type": "redacted_thinking", "data": block.data})
        elif kind == "tool_use":
            # A streamed call starts with empty input, then input_json_delta pieces follow.
            arguments = dict(block.input) if block.input else None
            call = ToolCallDelta(
                index=len(self._tools), id=block.id, name=block.name, arguments=arguments
            )
            self._tools[index] = call
            return Delta(tool_calls=[call])
        return None

    def _keep(self) -> None:
        """Remember a tool-calling turn's signed thinking, to send it back with its calls."""
        tool_calls = list(self._tools.values())
        if self._thinking and tool_calls and tool_calls[0].id:
            self._kept[tool_calls[0].id] = self._thinking
            while len(self._kept) > _SIGNED_KEEP:
                self._kept.popitem(last=False)
