"""``HuggingFaceClient``: transformers causal LMs in this process (``hf:`` model strings).

Conversation state, the tool loop and ``<think>`` splitting come from aimu-core's
client base; this client renders the prompt, gets the loaded model from the
process cache (:func:`cache_info`, :func:`unload`) and runs one generation
(:mod:`._text_generate`). The async client is core's threaded wrapper around
it: the same loaded model, generation off the event loop.

Client options (``aimu_core.client("hf:...", **options)``; the README has more):

* ``device``: ``"cuda"``, ``"mps"``, ``"cpu"`` or ``"cuda:1"`` (default: the best here);
* ``dtype``: ``"auto"`` (bfloat16 or float16 on a GPU, float32 on CPU), ``"float32"``,
  ``"float16"``, ``"bfloat16"`` or a ``torch.dtype``;
* ``chat_template``: a Jinja chat template instead of the tokenizer's own;
* ``chat_template_kwargs``: extra template variables (``{"enable_thinking": False}``);
* ``model_kwargs``: other ``from_pretrained`` arguments (``revision``, ``gguf_file``,
  ``attn_implementation``, ``trust_remote_code``).

Clients of the same model with the same ``device``/``dtype``/``model_kwargs``
share one loaded model.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from aimu_core.provider import (
    AdHocModel,
    BaseModelClient,
    ConfigurationError,
    Delta,
    ImageInput,
    Model,
)

from . import _text_cache
from ._text_cache import CacheInfo
from ._text_generate import (
    GENERATE_KWARGS,
    NATIVE_KWARGS,
    Prompt,
    Unloaded,
    chat_prompt,
    message_text,
    run,
)
from .text_models import HuggingFaceModel

__all__ = ["CacheInfo", "HuggingFaceClient", "cache_info", "unload"]

#: The base client's own options; every other keyword is one of this plugin's.
_BASE_OPTIONS = {"system_message", "tools", "mcp_client", "default_generate_kwargs"}


def cache_info() -> CacheInfo:
    """What the text-model cache holds: ``loads`` (weights read from disk), ``hits``
    (clients that reused loaded weights) and ``models`` (source, load options, generations)."""
    return _text_cache.cache_info()


def unload(source: str | None = None) -> int:
    """Free the text model loaded from *source* (a hub id or a directory), or all of them.

    Waits for a running generation. Clients that still hold the model load it
    again on their next call. Returns how many loaded models were freed.
    """
    return _text_cache.unload(source)


class HuggingFaceClient(BaseModelClient):
    """A chat client for a transformers causal LM run in this process.

    ``chat()`` renders the conversation with the tokenizer's chat template (or
    the plain-transcript fallback); ``generate()`` is raw completion of the
    prompt, no template, which is what base models are good at. The weights
    load when the client is created (or come from the process cache).
    """

    provider: ClassVar[str] = "hf"
    GENERATE_KWARGS: ClassVar[Mapping[str, str]] = GENERATE_KWARGS
    NATIVE_KWARGS: ClassVar[frozenset[str]] = NATIVE_KWARGS

    def __init__(
        self,
        model: Model | AdHocModel = HuggingFaceModel.QWEN_3_0_6B,
        *,
        device: str | None = None,
        dtype: Any = "auto",
        chat_template: str | None = None,
        chat_template_kwargs: Mapping[str, Any] | None = None,
        model_kwargs: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        unknown = sorted(set(kwargs) - _BASE_OPTIONS)
        if unknown:
            raise ConfigurationError(
                f"Unknown hf client option(s) {unknown}; valid options are device, dtype, "
                "chat_template, chat_template_kwargs, model_kwargs (other from_pretrained "
                "arguments go in model_kwargs=)"
            )
        super().__init__(model, **kwargs)
        if chat_template is not None and not isinstance(chat_template, str):
            raise ConfigurationError("chat_template must be a Jinja template string")
        if chat_template_kwargs is not None and not isinstance(chat_template_kwargs, Mapping):
            raise ConfigurationError("chat_template_kwargs must be a mapping")
        self._options = _text_cache.LoadOptions.of(device, dtype, model_kwargs or {})
        self._render = functools.partial(
            chat_prompt,
            template=chat_template,
            template_kwargs=dict(chat_template_kwargs or {}),
            thinking=self.model.supports_thinking,
        )
        self.source = _text_cache.source_of(self.model.value)
        self._model: _text_cache.LoadedModel | None = None
        self._loaded()

    @property
    def n_ctx(self) -> int:
        """The model's context window, in tokens."""
        return self._loaded().n_ctx

    @property
    def device(self) -> str:
        """The device the weights are on."""
        return self._options.device

    @property
    def dtype(self) -> str:
        """The weights' dtype (``"float32"``, ``"bfloat16"``, ...)."""
        return self._options.dtype

    def _loaded(self) -> _text_cache.LoadedModel:
        """The loaded model, from the process cache (loading it on first use, or after unload)."""
        model = self._model
        if model is None or model.closed:
            model = self._model = _text_cache.get(self.source, self._options)
        return model

    def _replies(self, build: Any, kwargs: dict[str, Any], stream: bool) -> Iterator[Delta]:
        """Run the prompt ``build(model)`` makes; load the model again if it was unloaded."""
        while True:
            model = self._loaded()
            try:
                yield from run(model, build(model), kwargs, stream=stream)
                return
            except Unloaded:
                self._model = None

    def _chat(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]],
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> Iterator[Delta]:
        for message in messages:  # reject images before any work is done
            message_text(message.get("content"))
        render = self._render
        return self._replies(lambda m: render(m, messages, tools), generate_kwargs, stream)

    def _generate(
        self,
        prompt: str,
        *,
        images: list[ImageInput] | None,
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> Iterator[Delta]:
        if images:
            raise ConfigurationError(
                "generate() on an hf: text model is raw text completion of text only"
            )
        return self._replies(lambda m: Prompt(prompt), generate_kwargs, stream)
