"""The reply filters of chat: trimming the fallback transcript's replies, and tool calls.

Each takes text pieces as they are decoded and returns what may be shown now,
holding back only what a later piece could still change.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["ToolCallExtractor", "Trim"]


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest suffix of *text* that is a proper prefix of *tag*."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0


class Trim:
    """Strip whitespace around a reply without delaying the words in between.

    Leading whitespace is dropped; whitespace is held back until more text
    follows it, so trailing whitespace is never shown.
    """

    def __init__(self) -> None:
        self._started = False
        self._space = ""

    def feed(self, text: str) -> str:
        if not self._started:
            text = text.lstrip()
            if not text:
                return ""
            self._started = True
        body = text.rstrip()
        if not body:
            self._space += text
            return ""
        out = self._space + body
        self._space = text[len(body) :]
        return out


_OPEN = "<tool_call>"
_BLOCK = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)


class ToolCallExtractor:
    """Tool calls written as ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``.

    That is the convention of the chat templates of Qwen 2.5/3, Hermes and
    many other GGUF models. Text before the first ``<tool_call>`` streams as
    usual; from there on it is held back and parsed at the end. A block that
    is not valid JSON with a ``name`` is given back as text.
    """

    def __init__(self) -> None:
        self._capturing = False
        self._held = ""

    def feed(self, text: str) -> str:
        if self._capturing:
            self._held += text
            return ""
        buffer = self._held + text
        index = buffer.find(_OPEN)
        if index >= 0:
            self._capturing = True
            self._held = buffer[index:]
            return buffer[:index]
        keep = _partial_suffix(buffer, _OPEN)
        self._held = buffer[len(buffer) - keep :]
        return buffer[: len(buffer) - keep]

    def finish(self) -> tuple[str, list[tuple[str, Any]]]:
        """The text left over and the parsed ``(name, arguments)`` calls."""
        held, self._held = self._held, ""
        if not self._capturing:
            return held, []
        calls: list[tuple[str, Any]] = []

        def take(block: re.Match[str]) -> str:
            call = _parse_call(block.group(1))
            if call is not None:
                calls.append(call)
            return "" if call is not None else block.group(0)

        return _BLOCK.sub(take, held).strip(), calls


def _parse_call(body: str) -> tuple[str, Any] | None:
    try:
        data = json.loads(body)
        arguments = data.get("arguments", data.get("parameters", {}))
        if isinstance(arguments, str):
            arguments = json.loads(arguments)
    except (ValueError, AttributeError):  # not JSON, or not an object
        return None
    if not isinstance(data.get("name"), str) or not isinstance(arguments, dict):
        return None
    return data["name"], arguments
