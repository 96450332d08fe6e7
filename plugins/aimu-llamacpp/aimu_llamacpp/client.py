"""``LlamaCppClient`` and ``AsyncLlamaCppClient``: GGUF models in this process.

Conversation state comes from aimu-core's client bases. :class:`LlamaCppClientBase`,
shared by both, holds the options, finds the GGUF file, gets the loaded model from
the process cache (:func:`aimu_llamacpp.cache_info`) and turns a request into work
for the model's thread; the twins differ only in how they wait for it (:mod:`._jobs`).

Client options (``aimu_core.client("llamacpp:...", **options)``; the README has more):

* ``model_path``: a .gguf file to use instead of the one the model string names;
* ``n_ctx``: context window in tokens (default 4096; 0 = the model's training context);
* ``n_threads``: CPU threads (default: llama-cpp-python's, half the cores);
* ``n_gpu_layers``: layers offloaded to a GPU build of llama.cpp (default 0; -1 = all);
* ``chat_template``: a Jinja chat template instead of the GGUF's own;
* ``chat_template_kwargs``: extra template variables (``{"enable_thinking": False}``);
* ``chat_format`` / ``chat_handler``: chat through a llama-cpp-python chat format or
  handler instead (function calling formats return tool calls, Llava takes images);
* ``llama_kwargs``: any other ``llama_cpp.Llama`` argument (``flash_attn``, ``n_batch``);
* ``verbose``: also print llama.cpp's log to stderr, from then on for the whole
  process (the log always goes to the ``aimu_llamacpp.llama_cpp`` logger).

Clients of the same file with the same ``n_ctx``/``n_threads``/``n_gpu_layers``/
``llama_kwargs`` share one loaded model.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, ClassVar

from aimu_core.provider import (
    PORTABLE_KWARGS,
    AdHocModel,
    AsyncBaseModelClient,
    BaseModelClient,
    ConfigurationError,
    Delta,
    ImageInput,
    Model,
    ModelNotFoundError,
    NativeSchema,
    OutputSchema,
)

from . import _cache
from ._completion import check_kwargs, complete, handler_chat
from ._jobs import Job, Work, run_async, run_sync
from ._prompt import Prompt, build_chat_prompt, message_text
from .models import LlamaCppModel

__all__ = ["AsyncLlamaCppClient", "LlamaCppClient", "LlamaCppClientBase"]

#: The base client's own options; every other keyword is one of this plugin's.
_BASE_OPTIONS = {"system_message", "tools", "mcp_client", "default_generate_kwargs"}


class LlamaCppClientBase:
    """Everything the sync and async clients share; they add only how they wait for replies.

    ``chat()`` formats the conversation with the model's chat template (or the
    plain-transcript fallback); ``generate()`` is raw completion of the prompt,
    no template, which is what base models are good at.
    """

    provider: ClassVar[str] = "llamacpp"
    #: The portable kwargs have llama.cpp's names, but ``context_length``: the context
    #: window is fixed when the model loads (the ``n_ctx`` client option).
    GENERATE_KWARGS: ClassVar[Mapping[str, str]] = {
        name: name for name in PORTABLE_KWARGS if name != "context_length"
    }
    #: llama.cpp sampling kwargs passed through as they are.
    NATIVE_KWARGS: ClassVar[frozenset[str]] = frozenset(
        {"min_p", "typical_p", "mirostat_mode", "mirostat_tau", "mirostat_eta", "grammar"}
    )
    #: load the weights when the client is made (the async client loads on first use)
    _EAGER: ClassVar[bool] = True

    model: Model | AdHocModel

    def __init__(
        self,
        model: Model | AdHocModel = LlamaCppModel.GEMMA_3_270M,
        *,
        model_path: str | os.PathLike[str] | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_gpu_layers: int = 0,
        chat_format: str | None = None,
        chat_handler: Any = None,
        chat_template: str | None = None,
        chat_template_kwargs: Mapping[str, Any] | None = None,
        llama_kwargs: Mapping[str, Any] | None = None,
        verbose: bool = False,
        **kwargs: Any,
    ) -> None:
        unknown = sorted(set(kwargs) - _BASE_OPTIONS)
        if unknown:
            raise ConfigurationError(
                f"Unknown llamacpp client option(s) {unknown}; valid options are model_path, "
                "n_ctx, n_threads, n_gpu_layers, chat_format, chat_handler, chat_template, "
                "chat_template_kwargs, llama_kwargs, verbose (other llama_cpp.Llama arguments "
                "go in llama_kwargs=)"
            )
        super().__init__(model, **kwargs)  # type: ignore[call-arg]  # the base client's
        self._options = _cache.LoadOptions.of(n_ctx, n_threads, n_gpu_layers, llama_kwargs or {})
        if chat_template is not None and not isinstance(chat_template, str):
            raise ConfigurationError("chat_template must be a Jinja template string")
        if chat_template_kwargs is not None and not isinstance(chat_template_kwargs, Mapping):
            raise ConfigurationError("chat_template_kwargs must be a mapping")
        self._render = functools.partial(
            build_chat_prompt,
            template=chat_template,
            template_kwargs=dict(chat_template_kwargs or {}),
            thinking=self.model.supports_thinking,
        )
        self._handler = _chat_handler(chat_format, chat_handler)
        if verbose:
            _cache.set_log_echo(True)
        self._path = _explicit_path(model, model_path)
        if self._path is not None:
            _cache.check_gguf_file(self._path)
        self._model: _cache.LoadedModel | None = None
        if self._EAGER:
            self._loaded()

    @property
    def model_path(self) -> str:
        """The GGUF file this client runs."""
        if self._path is None:  # the embedded model, assembled on first use
            from ._default_model import default_model_path

            self._path = str(default_model_path())
        return self._path

    @property
    def n_ctx(self) -> int:
        """The loaded context window, in tokens."""
        return self._loaded().n_ctx

    def _loaded(self) -> _cache.LoadedModel:
        """The loaded model, from the process cache (loading it on first use, or after unload)."""
        model = self._model
        if model is None or model.closed:
            label = os.path.basename(self._path) if self._path else self.model.value
            model = self._model = _cache.get(self.model_path, self._options, label=label)
        return model

    def _native_schema(self, schema: OutputSchema) -> NativeSchema:
        """``schema=`` as a JSON grammar (llama-cpp-python's converter): only JSON that
        matches the schema can be sampled."""
        from llama_cpp.llama_grammar import json_schema_to_gbnf

        return NativeSchema(kwargs={"grammar": json_schema_to_gbnf(json.dumps(schema.json_schema))})

    def _submit(self, job: Job) -> None:
        while not self._loaded().submit(job):
            self._model = None  # unloaded meanwhile: load again

    # The return type is the twin's: an iterator of deltas, or an async one.
    def _chat(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]],
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> Any:
        kwargs = check_kwargs(generate_kwargs)
        handler, render = self._handler, self._render
        if handler is not None:
            return self._run(
                lambda model: handler_chat(handler, model, messages, tools, kwargs, stream=stream)
            )
        for message in messages:  # reject images before any work is done
            message_text(message.get("content"))
        return self._run(
            lambda model: complete(model, render(model, messages, tools), kwargs, stream=stream)
        )

    def _generate(
        self,
        prompt: str,
        *,
        images: list[ImageInput] | None,
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> Any:
        if images:
            raise ConfigurationError(
                "generate() on a llama.cpp model is raw text completion: use chat() for images"
            )
        kwargs = check_kwargs(generate_kwargs)
        return self._run(lambda model: complete(model, Prompt(prompt), kwargs, stream=stream))

    def _run(self, work: Work) -> Any:
        raise NotImplementedError


def _explicit_path(model: Model | AdHocModel, model_path: Any) -> str | None:
    """The GGUF file a client names, or ``None`` for the embedded model."""
    if model_path is not None:
        if not isinstance(model_path, (str, os.PathLike)) or not str(model_path):
            raise ConfigurationError(f"model_path={model_path!r} must be a path to a .gguf file")
        return os.fspath(model_path)
    if model is LlamaCppModel.GEMMA_3_270M:
        return None
    ident = model.value
    if ident.lower().endswith(".gguf") or os.sep in ident or "/" in ident or ident.startswith("~"):
        return ident
    raise ModelNotFoundError(
        f"llamacpp:{ident} is neither a catalog model (llamacpp:gemma-3-270m) nor a path to a "
        ".gguf file; write llamacpp:/path/to/model.gguf or pass model_path="
    )


def _chat_handler(chat_format: str | None, chat_handler: Any) -> Any:
    if chat_format is not None and chat_handler is not None:
        raise ConfigurationError("Pass chat_format= or chat_handler=, not both")
    if chat_handler is not None and not callable(chat_handler):
        raise ConfigurationError("chat_handler must be a llama-cpp-python chat completion handler")
    if chat_format is None:
        return chat_handler
    from llama_cpp import llama_chat_format

    try:
        return llama_chat_format.get_chat_completion_handler(chat_format)
    except Exception:
        raise ConfigurationError(
            f"Unknown chat_format {chat_format!r}; use a llama-cpp-python chat format such as "
            "chatml-function-calling, functionary, functionary-v1, functionary-v2 (these "
            "return tool calls), 'chatml' or 'gemma'"
        ) from None


class LlamaCppClient(LlamaCppClientBase, BaseModelClient):
    """A chat client for a GGUF model run in this process by llama.cpp.

    The weights load when the client is created (or come from the process cache).
    """

    def _run(self, work: Work) -> Iterator[Delta]:
        return run_sync(self._submit, work)


class AsyncLlamaCppClient(LlamaCppClientBase, AsyncBaseModelClient):
    """The async twin of :class:`LlamaCppClient`.

    Generation runs on the model's thread and reaches the event loop through a
    queue, so the loop is never blocked, not even while another request holds
    the model. The weights come from the same process cache as the sync
    client's (never loaded twice); they are loaded, and the embedded model
    assembled, on the first request, off the event loop.
    """

    _EAGER = False

    async def _run(self, work: Work) -> AsyncIterator[Delta]:
        if self._model is None or self._model.closed:
            await asyncio.to_thread(self._loaded)
        async for delta in run_async(self._submit, work):
            yield delta
