"""OpenAI-format history -> Anthropic Messages API request parts, adapted per request.

aimu keeps every conversation in OpenAI format; Anthropic wants another shape
and rejects what it does not like. So on each request:

* system messages move to the ``system`` parameter;
* assistant tool calls become ``tool_use`` blocks with their original ids;
* tool results (role ``tool``) become ``tool_result`` blocks in a user turn;
* images become ``image`` blocks (data URLs as base64, https URLs as ``url`` sources);
* empty text blocks and empty turns are dropped (the API rejects them), and
  consecutive turns of one role are merged (the API wants them alternating).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aimu_core.errors import ConfigurationError
from aimu_core.models.images import split_data_url

__all__ = ["adapt_messages", "adapt_tools"]

_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def adapt_messages(
    messages: list[dict[str, Any]],
    signed_thinking: Mapping[str, list[dict[str, Any]]] | None = None,
) -> tuple[str | None, list[dict[str, Any]]]:
    """Return ``(system, messages)`` for ``messages.create``.

    ``signed_thinking`` maps the id of an assistant turn's first tool call to the
    signed thinking blocks of that turn: with thinking on, Anthropic requires
    them back in front of the ``tool_use`` blocks they led to.
    """
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role == "system":
            text = _text_of(message.get("content"))
            if text:
                system.append(text)
            continue
        if role == "assistant":
            blocks = _assistant_blocks(message, signed_thinking)
            wire_role = "assistant"
        elif role == "tool":
            blocks = [_tool_result_block(message)]
            wire_role = "user"
        elif role == "user":
            blocks = _user_blocks(message.get("content"))
            wire_role = "user"
        else:
            raise ConfigurationError(f"Cannot send a message with role {role!r} to Anthropic")
        if not blocks:
            continue  # an empty turn: the API rejects it
        if turns and turns[-1]["role"] == wire_role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": wire_role, "content": blocks})
    return ("\n\n".join(system) or None), turns


def adapt_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI function specs -> Anthropic tool definitions."""
    out = []
    for spec in tools:
        function = spec.get("function", spec)
        tool: dict[str, Any] = {
            "name": function["name"],
            "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
        }
        if function.get("description"):
            tool["description"] = function["description"]
        out.append(tool)
    return out


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if p.get("type") == "text")
    return ""


def _user_blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks: list[dict[str, Any]] = []
    for part in content or []:
        kind = part.get("type")
        if kind == "text":
            if part.get("text"):
                blocks.append({"type": "text", "text": part["text"]})
        elif kind == "image_url":
            url = (
                part["image_url"]["url"]
                if isinstance(part["image_url"], dict)
                else part["image_url"]
            )
            blocks.append(_image_block(url))
        else:
            raise ConfigurationError(f"Anthropic cannot take a {kind!r} content part")
    return blocks


def _image_block(url: str) -> dict[str, Any]:
    if url.startswith("data:"):
        mime, _ = split_data_url(url)
        if mime not in _IMAGE_TYPES:
            raise ConfigurationError(
                f"Anthropic accepts JPEG, PNG, GIF and WebP images, not {mime!r}"
            )
        payload = url.partition(",")[2]
        return {"type": "image", "source": {"type": "base64", "media_type": mime, "data": payload}}
    if url.startswith(("https://", "http://")):
        return {"type": "image", "source": {"type": "url", "url": url}}
    raise ConfigurationError("Images must be data URLs or http(s) URLs")


def _assistant_blocks(
    message: dict[str, Any], signed_thinking: Mapping[str, list[dict[str, Any]]] | None
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    calls = message.get("tool_calls") or []
    if calls and signed_thinking:
        blocks.extend(signed_thinking.get(calls[0].get("id", ""), ()))
    text = _text_of(message.get("content"))
    if text.strip():
        blocks.append({"type": "text", "text": text})
    for call in calls:
        function = call["function"]
        blocks.append(
            {
                "type": "tool_use",
                "id": call["id"],
                "name": function["name"],
                "input": _arguments(function.get("arguments")),
            }
        )
    return blocks


def _arguments(arguments: Any) -> dict[str, Any]:
    if isinstance(arguments, dict):
        return arguments
    if not arguments:
        return {}
    try:
        parsed = json.loads(arguments)
    except ValueError:
        return {"_raw": arguments}  # keep what the model said; tool_use.input must be an object
    return parsed if isinstance(parsed, dict) else {"_value": parsed}


def _tool_result_block(message: dict[str, Any]) -> dict[str, Any]:
    content = message.get("content")
    text = content if isinstance(content, str) else _text_of(content)
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": message.get("tool_call_id", "")}
    if text:
        block["content"] = text
    return block
