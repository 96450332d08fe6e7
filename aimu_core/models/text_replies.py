"""Reading the raw text of in-process models: tool calls, the plain transcript, trimming.

A model run in this process (llama.cpp, transformers) writes one stream of
text; these are the pieces every such provider needs to turn it into a chat
turn. Each filter takes text pieces as they are decoded and returns what may
be shown now, holding back only what a later piece could still change.

The **plain transcript** is the documented fallback prompt for models without
a chat template (base models), one a completion model continues naturally::

    <system message>

    User: <text>
    Assistant: <text>
    Tool result (<name>): <text>
    Assistant:

Tools are not shown to the model in this format (a base model cannot call
them). The reply is cut where the model starts a new turn
(:data:`TRANSCRIPT_STOP`) and trimmed of surrounding whitespace (:class:`Trim`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ..errors import ConfigurationError
from .thinking import _partial_suffix

__all__ = [
    "TRANSCRIPT_STOP",
    "ToolCallExtractor",
    "Trim",
    "content_text",
    "parse_call",
    "plain_transcript",
]

#: Where a plain-transcript reply ends: the model starting another turn.
TRANSCRIPT_STOP = ["\nUser:", "\nAssistant:"]


def content_text(content: Any, *, no_images: str) -> str:
    """A message's text: the string, or the text parts of a content list joined.

    A text-only model cannot take an image part: raises ``ConfigurationError(no_images)``.
    """
    if content is None or isinstance(content, str):
        return content or ""
    if any(part.get("type") != "text" for part in content):
        raise ConfigurationError(no_images)
    return "\n".join(part.get("text", "") for part in content)


def plain_transcript(messages: list[dict[str, Any]], text_of: Callable[[Any], str]) -> str:
    """The plain transcript of *messages*; ``text_of(content)`` gives a message's text."""
    lines: list[str] = []
    for message in messages:
        role = message.get("role")
        text = text_of(message.get("content")).strip()
        if role == "system" and text:
            lines.append(f"{text}\n")
        elif role == "user":
            lines.append(f"User: {text}")
        elif role == "assistant":
            calls = [
                f"[called {c['function']['name']}({c['function'].get('arguments') or ''})]"
                for c in message.get("tool_calls") or ()
            ]
            lines.append("Assistant: " + " ".join([text, *calls]).strip())
        elif role == "tool":
            lines.append(f"Tool result ({message.get('name') or 'tool'}): {text}")
    lines.append("Assistant:")
    return "\n".join(lines)


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
    many other models. Text before the first ``<tool_call>`` streams as
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
            call = parse_call(block.group(1))
            if call is not None:
                calls.append(call)
            return "" if call is not None else block.group(0)

        return _BLOCK.sub(take, held).strip(), calls


def parse_call(body: str) -> tuple[str, dict[str, Any]] | None:
    """``(name, arguments)`` from a JSON call object (``arguments`` or ``parameters``,
    an object or JSON text), or ``None`` when *body* is not one."""
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
