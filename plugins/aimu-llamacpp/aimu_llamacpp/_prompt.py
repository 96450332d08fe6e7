"""Turning an OpenAI-format conversation into prompt text for a GGUF model.

With a chat template (the GGUF's ``tokenizer.chat_template``, or one given as
the ``chat_template=`` client option) the conversation is rendered by
llama-cpp-python's ``Jinja2ChatFormatter``, exactly as llama.cpp's own chat
completion would, tools included.

Without one (base models such as the embedded Gemma 3 270M) the documented
fallback is a plain transcript a completion model continues naturally::

    <system message>

    User: <text>
    Assistant: <text>
    Tool result (<name>): <text>
    Assistant:

Tools are not shown to the model in this format (a base model cannot call
them). The reply is cut where the model starts a new turn (``"\\nUser:"`` or
``"\\nAssistant:"``) and trimmed of surrounding whitespace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aimu_core.errors import ConfigurationError, ProviderError

from ._cache import LoadedModel

__all__ = [
    "FALLBACK_STOP",
    "ChatPrompt",
    "build_chat_prompt",
    "fallback_transcript",
    "message_text",
]

#: Where a fallback-transcript reply ends: the model starting another turn.
FALLBACK_STOP = ["\nUser:", "\nAssistant:"]


@dataclass
class ChatPrompt:
    """A rendered chat request: what to feed the model and how to read its reply."""

    text: str
    #: the template already wrote BOS and other special tokens as text
    templated: bool
    stop: list[str] = field(default_factory=list)
    #: the prompt ends inside ``<think>``: the reply starts with reasoning
    opens_thinking: bool = False
    #: parse ``<tool_call>`` blocks out of the reply
    parse_tool_calls: bool = False
    #: strip whitespace around the reply (fallback transcript)
    trim: bool = False


def message_text(content: Any) -> str:
    """A message's text: the string, or the text parts of a content list joined."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    texts = []
    for part in content:
        if part.get("type") == "text":
            texts.append(part.get("text", ""))
        else:
            raise ConfigurationError(
                "This llama.cpp model takes text only: images need a multimodal chat handler "
                "(pass chat_handler=, e.g. llama_cpp.llama_chat_format.Llava15ChatHandler)"
            )
    return "\n".join(texts)


def text_parts(content: Any) -> str:
    """The text of a message, skipping any image parts."""
    if content is None or isinstance(content, str):
        return content or ""
    return "\n".join(part.get("text", "") for part in content if part.get("type") == "text")


def fallback_transcript(messages: list[dict[str, Any]]) -> str:
    """The plain transcript used for models without a chat template."""
    lines: list[str] = []
    for message in messages:
        role = message.get("role")
        text = message_text(message.get("content")).strip()
        if role == "system":
            if text:
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


def _template_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for message in messages:
        message = dict(message)
        message["content"] = message_text(message.get("content"))
        out.append(message)
    return out


def _formatter(model: LoadedModel, template: str) -> Any:
    """The compiled ``Jinja2ChatFormatter`` for *template*, memoised on the model."""
    key = f"formatter:{template}"
    formatter = model.memo.get(key)
    if formatter is None:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llm = model.llm
        eos, bos = llm.token_eos(), llm.token_bos()

        def token_text(token: int) -> str:
            if token < 0:
                return ""
            return llm.detokenize([token], special=True).decode("utf-8", "replace")

        try:
            formatter = Jinja2ChatFormatter(
                template=template,
                eos_token=token_text(eos),
                bos_token=token_text(bos),
                stop_token_ids=[eos],
            )
        except Exception as exc:
            raise ConfigurationError(f"The chat template does not compile: {exc}") from exc
        model.memo[key] = formatter
    return formatter


def model_template(model: LoadedModel) -> str | None:
    """The GGUF's own chat template, if it has one."""
    template = model.llm.metadata.get("tokenizer.chat_template")
    return template or None


def build_chat_prompt(
    model: LoadedModel,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    *,
    template: str | None,
    template_kwargs: dict[str, Any],
    thinking: bool,
) -> ChatPrompt:
    """Render *messages* (and *tools*) with the chat template, or the fallback transcript."""
    template = template or model_template(model)
    if template is None:
        return ChatPrompt(
            fallback_transcript(messages), templated=False, stop=list(FALLBACK_STOP), trim=True
        )
    formatter = _formatter(model, template)
    try:
        rendered = formatter(
            messages=_template_messages(messages), tools=tools or None, **template_kwargs
        )
    except ConfigurationError:
        raise
    except Exception as exc:  # jinja2 errors and the template's own raise_exception()
        raise ProviderError(
            f"The model's chat template rejected the conversation: {exc}", provider="llamacpp"
        ) from exc
    text = rendered.prompt
    return ChatPrompt(
        text,
        templated=True,
        opens_thinking=thinking and text.rstrip().endswith("<think>"),
        parse_tool_calls=bool(tools) and "<tool_call>" in template,
    )
