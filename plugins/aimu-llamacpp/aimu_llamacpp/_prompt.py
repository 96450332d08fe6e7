"""Turning an OpenAI-format conversation into prompt text for a GGUF model.

With a chat template (the GGUF's ``tokenizer.chat_template``, or one given as
the ``chat_template=`` client option) the conversation is rendered by
llama-cpp-python's ``Jinja2ChatFormatter``, exactly as llama.cpp's own chat
completion would, tools included.

Without one (base models such as the embedded Gemma 3 270M) the documented
fallback is aimu's plain transcript (``aimu_core.models.text_replies``), which
a completion model continues naturally; the reply is cut where the model
starts a new turn and trimmed of surrounding whitespace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aimu_core.provider import (
    TRANSCRIPT_STOP,
    ConfigurationError,
    ProviderError,
    content_text,
    plain_transcript,
)

from ._cache import LoadedModel

__all__ = ["FALLBACK_STOP", "Prompt", "build_chat_prompt", "fallback_transcript", "message_text"]

#: Where a fallback-transcript reply ends: the model starting another turn.
FALLBACK_STOP = TRANSCRIPT_STOP


@dataclass
class Prompt:
    """What to feed the model (raw text, a template's rendering or the fallback transcript),
    and how to read its reply."""

    text: str
    #: add BOS; a template writes it, and other special tokens, as text (``special``)
    add_bos: bool = True
    special: bool = True
    #: stop sequences of the format, besides the request's own
    stop: list[str] = field(default_factory=list)
    #: strip whitespace around the reply (fallback transcript)
    trim: bool = False
    #: shown before the reply: ``"<think>"`` when the prompt ends inside a thinking block
    head: str = ""
    #: parse ``<tool_call>`` blocks out of the reply
    tool_calls: bool = False


def message_text(content: Any) -> str:
    """A message's text: the string, or the text parts of a content list joined."""
    return content_text(content, no_images=_NO_IMAGES)


_NO_IMAGES = (
    "This llama.cpp model takes text only: images need a multimodal chat handler "
    "(pass chat_handler=, e.g. llama_cpp.llama_chat_format.Llava15ChatHandler)"
)


def fallback_transcript(messages: list[dict[str, Any]]) -> str:
    """The plain transcript used for models without a chat template."""
    return plain_transcript(messages, message_text)


def _formatter(model: LoadedModel, template: str) -> Any:
    """llama-cpp-python's ``Jinja2ChatFormatter`` for *template*, compiled once per model."""
    key = f"formatter:{template}"
    if key not in model.memo:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llm = model.llm

        def token_text(token: int) -> str:
            return (
                llm.detokenize([token], special=True).decode("utf-8", "replace")
                if token >= 0
                else ""
            )

        try:
            model.memo[key] = Jinja2ChatFormatter(
                template=template,
                eos_token=token_text(llm.token_eos()),
                bos_token=token_text(llm.token_bos()),
                stop_token_ids=[llm.token_eos()],
            )
        except Exception as exc:
            raise ConfigurationError(f"The chat template does not compile: {exc}") from exc
    return model.memo[key]


def build_chat_prompt(
    model: LoadedModel,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    *,
    template: str | None,
    template_kwargs: dict[str, Any],
    thinking: bool,
) -> Prompt:
    """Render *messages* (and *tools*) with the chat template (the option, else the GGUF's
    ``tokenizer.chat_template``), or the fallback transcript."""
    template = template or model.llm.metadata.get("tokenizer.chat_template") or None
    if template is None:
        return Prompt(fallback_transcript(messages), special=False, stop=FALLBACK_STOP, trim=True)
    formatter = _formatter(model, template)
    messages = [{**m, "content": message_text(m.get("content"))} for m in messages]
    try:
        text = formatter(messages=messages, tools=tools or None, **template_kwargs).prompt
    except Exception as exc:  # jinja2 errors and the template's own raise_exception()
        raise ProviderError(
            f"The model's chat template rejected the conversation: {exc}", provider="llamacpp"
        ) from exc
    return Prompt(
        text,
        add_bos=False,
        head="<think>" if thinking and text.rstrip().endswith("<think>") else "",
        tool_calls=bool(tools) and "<tool_call>" in template,
    )
