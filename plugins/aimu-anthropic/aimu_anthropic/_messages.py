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

from collections.abc import Mapping
from typing import Any

from aimu_core.provider import ConfigurationError, split_data_url, tool_arguments

__all__ = ["Json", "adapt_messages", "adapt_tools"]

#: A JSON object: a message, a content block, a tool spec.
Json = dict[str, Any]

_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def adapt_messages(
    messages: list[Json], signed_thinking: Mapping[str, list[Json]] | None = None
) -> tuple[str | None, list[Json]]:
    """Return ``(system, messages)`` for ``messages.create``.

    ``signed_thinking`` maps the id of an assistant turn's first tool call to the
    signed thinking blocks of that turn: with thinking on, Anthropic requires
    them back in front of the ``tool_use`` blocks they led to.
    """
    system: list[str] = []
    turns: list[Json] = []
    for message in messages:
        role = message.get("role")
        if role == "system":
            system.append(_text_of(message.get("content")))
            continue
        if role == "assistant":
            blocks = _assistant_blocks(message, signed_thinking)
        elif role == "tool":
            blocks = [_tool_result_block(message)]
        elif role == "user":
            blocks = _user_blocks(message.get("content"))
        else:
            raise ConfigurationError(f"Cannot send a message with role {role!r} to Anthropic")
        wire_role = "assistant" if role == "assistant" else "user"  # tool results go as user
        if not blocks:
            continue  # an empty turn: the API rejects it
        if turns and turns[-1]["role"] == wire_role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": wire_role, "content": blocks})
    return "\n\n".join(s for s in system if s) or None, turns


def adapt_tools(tools: list[Json]) -> list[Json]:
    """OpenAI function specs -> Anthropic tool definitions."""
    out = []
    for spec in tools:
        function = spec.get("function", spec)
        tool: Json = {
            "name": function["name"],
            "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
        }
        if function.get("description"):
            tool["description"] = function["description"]
        out.append(tool)
    return out


def _text_of(content: Any) -> str:
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if p.get("type") == "text")
    return content if isinstance(content, str) else ""


def _user_blocks(content: Any) -> list[Json]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks: list[Json] = []
    for part in content or []:
        kind = part.get("type")
        if kind == "text":
            if part.get("text"):
                blocks.append({"type": "text", "text": part["text"]})
        elif kind == "image_url":
            image = part["image_url"]
            blocks.append(_image_block(image["url"] if isinstance(image, dict) else image))
        else:
            raise ConfigurationError(f"Anthropic cannot take a {kind!r} content part")
    return blocks


def _image_block(url: str) -> Json:
    if url.startswith("data:"):
        mime, _ = split_data_url(url)  # validates the base64 too
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
    message: Json, signed_thinking: Mapping[str, list[Json]] | None
) -> list[Json]:
    calls = message.get("tool_calls") or []
    blocks: list[Json] = []
    if calls and signed_thinking:
        blocks.extend(signed_thinking.get(calls[0].get("id", ""), ()))
    text = _text_of(message.get("content"))
    if text.strip():
        blocks.append({"type": "text", "text": text})
    for call in calls:
        function = call["function"]
        arguments = tool_arguments(function.get("arguments"))
        blocks.append(
            {"type": "tool_use", "id": call["id"], "name": function["name"], "input": arguments}
        )
    return blocks


def _tool_result_block(message: Json) -> Json:
    text = _text_of(message.get("content"))
    block: Json = {"type": "tool_result", "tool_use_id": message.get("tool_call_id", "")}
    if text:
        block["content"] = text
    return block
