"""OpenAI-format history -> Ollama ``/api/chat`` messages, adapted per request.

Ollama's message shape differs in three ways: images travel as base64 strings
in the message's ``images`` list (not as content parts, and never as URLs),
tool-call arguments are JSON objects (not JSON text), and tool results name
their tool (``tool_name``) instead of a call id, since Ollama has no ids.
"""

from __future__ import annotations

from typing import Any

from aimu_core.provider import ConfigurationError, split_data_url, tool_arguments

__all__ = ["adapt_messages", "image_payload"]


def adapt_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ollama chat messages for an OpenAI-format history."""
    out: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        wire: dict[str, Any] = {"role": role}
        content = message.get("content")
        if isinstance(content, list):
            wire["content"] = "".join(p.get("text", "") for p in content if p.get("type") == "text")
            images = [_image(p) for p in content if p.get("type") == "image_url"]
            if images:
                wire["images"] = images
        else:
            wire["content"] = content or ""
        if role == "assistant" and message.get("tool_calls"):
            wire["tool_calls"] = [
                {
                    "function": {
                        "name": c["function"]["name"],
                        "arguments": tool_arguments(c["function"].get("arguments")),
                    }
                }
                for c in message["tool_calls"]
            ]
        elif role == "tool":
            if message.get("name"):
                wire["tool_name"] = message["name"]
        elif role not in ("system", "user", "assistant"):
            raise ConfigurationError(f"Cannot send a message with role {role!r} to Ollama")
        out.append(wire)
    return out


def image_payload(url: str) -> str:
    """The base64 payload Ollama wants for an image data URL."""
    if url.startswith("data:"):
        split_data_url(url)  # validates
        return url.partition(",")[2]
    if url.startswith(("http://", "https://")):
        raise ConfigurationError(
            "Ollama does not fetch images from URLs; download the image and pass its file "
            "path or bytes instead"
        )
    raise ConfigurationError("Images must be data URLs (pass a file path or bytes)")


def _image(part: dict[str, Any]) -> str:
    image = part["image_url"]
    return image_payload(image["url"] if isinstance(image, dict) else image)
