"""What the sync and async llama.cpp clients share: options, the model, the requests.

A client is conversation state (from aimu-core) plus one :class:`Engine`. The
engine validates the client options, finds the GGUF file, gets the loaded
model from the process cache, and turns a chat or completion request into a
``work`` function that :mod:`._jobs` runs inline, on a worker thread, or for
the event loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import os
from collections.abc import Mapping
from typing import Any

from aimu_core.errors import AimuError, ConfigurationError, ModelNotFoundError
from aimu_core.models import AdHocModel, Delta, Model, ToolCallDelta

from . import _cache
from ._completion import Sampling, complete
from ._errors import context_length_error, translate_generation_error
from ._jobs import Emit, Job, Work
from ._prompt import build_chat_prompt, message_text, text_parts
from ._textstream import ToolCallExtractor, Trim
from .models import LlamaCppModel

__all__ = [
    "CLIENT_OPTIONS",
    "FUNCTION_CALLING_FORMATS",
    "GENERATE_KWARGS",
    "NATIVE_KWARGS",
    "Engine",
]

#: Portable kwarg -> llama.cpp name. ``context_length`` is not here: the context
#: window is fixed when the model loads (the ``n_ctx`` client option).
GENERATE_KWARGS = {
    name: name
    for name in (
        "temperature",
        "top_p",
        "top_k",
        "max_tokens",
        "stop",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "repeat_penalty",
    )
}
#: llama.cpp sampling kwargs passed through as they are.
NATIVE_KWARGS = frozenset(
    {"min_p", "typical_p", "mirostat_mode", "mirostat_tau", "mirostat_eta", "grammar"}
)
#: llama-cpp-python chat handlers that return real tool calls.
FUNCTION_CALLING_FORMATS = frozenset(
    {"chatml-function-calling", "functionary", "functionary-v1", "functionary-v2"}
)
#: Load options that are client options of their own (not ``llama_kwargs``).
_OWN_LOAD_OPTIONS = {"model_path", "n_ctx", "n_threads", "n_gpu_layers", "verbose"}

CLIENT_OPTIONS = (
    "model_path",
    "n_ctx",
    "n_threads",
    "n_gpu_layers",
    "chat_format",
    "chat_handler",
    "chat_template",
    "chat_template_kwargs",
    "llama_kwargs",
    "verbose",
)

DEFAULT_N_CTX = 4096


def _check_int(name: str, value: Any, minimum: int, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigurationError(f"{name}={value!r} must be an integer >= {minimum}")


class Engine:
    """The model behind a client, and how requests run on it."""

    def __init__(
        self,
        model: Model | AdHocModel,
        *,
        model_path: str | os.PathLike[str] | None = None,
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int | None = None,
        n_gpu_layers: int = 0,
        chat_format: str | None = None,
        chat_handler: Any = None,
        chat_template: str | None = None,
        chat_template_kwargs: Mapping[str, Any] | None = None,
        llama_kwargs: Mapping[str, Any] | None = None,
        verbose: bool = False,
        eager: bool = True,
        unknown: Mapping[str, Any] | None = None,
    ) -> None:
        if unknown:
            raise ConfigurationError(
                f"Unknown llamacpp client option(s) {sorted(unknown)}; valid options are "
                f"{', '.join(CLIENT_OPTIONS)} (other llama_cpp.Llama arguments go in llama_kwargs=)"
            )
        _check_int("n_ctx", n_ctx, 0)
        _check_int("n_threads", n_threads, 1, optional=True)
        _check_int("n_gpu_layers", n_gpu_layers, -1)
        if chat_template is not None and not isinstance(chat_template, str):
            raise ConfigurationError("chat_template must be a Jinja template string")
        if chat_template_kwargs is not None and not isinstance(chat_template_kwargs, Mapping):
            raise ConfigurationError("chat_template_kwargs must be a mapping")
        extra = dict(llama_kwargs or {})
        clash = sorted(set(extra) & _OWN_LOAD_OPTIONS)
        if clash:
            raise ConfigurationError(f"Pass {clash} as client options, not in llama_kwargs")
        try:
            extra_key = tuple(sorted(extra.items()))
            hash(extra_key)
        except TypeError:
            raise ConfigurationError(
                "llama_kwargs values must be hashable (numbers, strings, tuples)"
            ) from None
        self.model = model
        self.options = _cache.LoadOptions(
            n_ctx=n_ctx, n_threads=n_threads, n_gpu_layers=n_gpu_layers, extra=extra_key
        )
        self.handler = _chat_handler(chat_format, chat_handler)
        self.chat_template = chat_template
        self.chat_template_kwargs = dict(chat_template_kwargs or {})
        if verbose:
            _cache.set_log_echo(True)
        self._explicit_path = self._explicit_model_path(model, model_path)
        self._path: str | None = self._explicit_path
        self._loaded: _cache.LoadedModel | None = None
        if self._explicit_path is not None:
            _cache.check_gguf_file(self._explicit_path)
        if eager:
            self.loaded()

    # -- the model -----------------------------------------------------------------

    @staticmethod
    def _explicit_model_path(model: Model | AdHocModel, model_path: Any) -> str | None:
        if model_path is not None:
            if not isinstance(model_path, (str, os.PathLike)) or not str(model_path):
                raise ConfigurationError(
                    f"model_path={model_path!r} must be a path to a .gguf file"
                )
            return os.fspath(model_path)
        if model is LlamaCppModel.GEMMA_3_270M:
            return None  # the embedded model, assembled on first use
        ident = model.value
        if (
            ident.lower().endswith(".gguf")
            or os.sep in ident
            or "/" in ident
            or ident.startswith("~")
        ):
            return ident
        raise ModelNotFoundError(
            f"llamacpp:{ident} is neither a catalog model (llamacpp:gemma-3-270m) nor a path to a "
            ".gguf file; write llamacpp:/path/to/model.gguf or pass model_path="
        )

    @property
    def label(self) -> str:
        return os.path.basename(self._path) if self._path else self.model.value

    def path(self) -> str:
        if self._path is None:
            from ._default_model import default_model_path

            self._path = str(default_model_path())
        return self._path

    def loaded(self) -> _cache.LoadedModel:
        """The loaded model, from the process cache (loading it on first use)."""
        model = self._loaded
        if model is None or model.closed:
            model = _cache.get(self.path(), self.options, label=self.label)
            self._loaded = model
        return model

    async def aload(self) -> None:
        """Load the model (assembling the embedded one on first use) off the event loop."""
        if self._loaded is None or self._loaded.closed:
            await asyncio.to_thread(self.loaded)

    def submit(self, job: Job) -> None:
        """Queue *job* on the loaded model's worker (loading the model first if needed)."""
        while True:
            model = self.loaded()
            if model.worker.submit(functools.partial(self._run, model, job)):
                return
            self._loaded = None  # unloaded meanwhile: load again

    def _run(self, model: _cache.LoadedModel, job: Job) -> None:
        """On the model's worker: run *job*, or send it on if the model was unloaded."""
        with model.lock:
            if not model.closed:
                model.generations += 1
                job.run(model)
                return
        try:
            self.submit(job)
        except BaseException as exc:
            job.fail(exc)

    # -- requests ----------------------------------------------------------------------

    def chat_work(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        kwargs: dict[str, Any],
        *,
        stream: bool,
    ) -> Work:
        sampling = Sampling.from_kwargs(kwargs)
        if self.handler is not None:
            return self._handler_work(messages, tools, sampling, stream)
        for message in messages:  # reject images before any work is done
            message_text(message.get("content"))

        def work(model: _cache.LoadedModel, emit: Emit, cancelled: Any) -> None:
            prompt = build_chat_prompt(
                model,
                messages,
                tools,
                template=self.chat_template,
                template_kwargs=self.chat_template_kwargs,
                thinking=self.model.supports_thinking,
            )
            tokens = _tokenize(
                model, prompt.text, special=prompt.templated, add_bos=not prompt.templated
            )
            run = dataclasses.replace(sampling, stop=(*sampling.stop, *prompt.stop))
            if prompt.opens_thinking:
                emit(Delta(text="<think>"))
            _run_completion(
                model,
                tokens,
                run,
                emit,
                cancelled,
                trim=prompt.trim,
                tool_calls=prompt.parse_tool_calls,
            )

        return work

    def generate_work(self, prompt: str, kwargs: dict[str, Any]) -> Work:
        sampling = Sampling.from_kwargs(kwargs)

        def work(model: _cache.LoadedModel, emit: Emit, cancelled: Any) -> None:
            tokens = _tokenize(model, prompt, special=True, add_bos=True)
            _run_completion(model, tokens, sampling, emit, cancelled, trim=False, tool_calls=False)

        return work

    def _handler_work(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        sampling: Sampling,
        stream: bool,
    ) -> Work:
        """Chat through a llama-cpp-python chat handler (function calling, multimodal)."""

        def work(model: _cache.LoadedModel, emit: Emit, cancelled: Any) -> None:
            _check_handler_prompt_length(model, messages)
            try:
                chunks = self.handler(  # type: ignore[misc]
                    llama=model.llm,
                    messages=messages,
                    tools=tools or None,
                    tool_choice="auto" if tools else None,
                    stream=stream,
                    **_handler_sampling(model, sampling),
                )
                for chunk in chunks if stream else [chunks]:
                    delta = _chunk_delta(chunk)
                    if delta is not None:
                        emit(delta)
                    if cancelled():
                        break
            except AimuError:
                raise
            except Exception as exc:
                raise translate_generation_error(exc) from exc

        return work


def _chat_handler(chat_format: str | None, chat_handler: Any) -> Any:
    if chat_format is not None and chat_handler is not None:
        raise ConfigurationError("Pass chat_format= or chat_handler=, not both")
    if chat_handler is not None:
        if not callable(chat_handler):
            raise ConfigurationError(
                "chat_handler must be a llama-cpp-python chat completion handler"
            )
        return chat_handler
    if chat_format is None:
        return None
    from llama_cpp import llama_chat_format

    try:
        return llama_chat_format.get_chat_completion_handler(chat_format)
    except Exception:
        raise ConfigurationError(
            f"Unknown chat_format {chat_format!r}; use a llama-cpp-python chat format such as "
            f"{', '.join(sorted(FUNCTION_CALLING_FORMATS))}, 'chatml' or 'gemma'"
        ) from None


def _tokenize(model: _cache.LoadedModel, text: str, *, special: bool, add_bos: bool) -> list[int]:
    try:
        return model.llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=special)
    except Exception as exc:
        raise translate_generation_error(exc) from exc


def _run_completion(
    model: _cache.LoadedModel,
    tokens: list[int],
    sampling: Sampling,
    emit: Emit,
    cancelled: Any,
    *,
    trim: bool,
    tool_calls: bool,
) -> None:
    """Run the token loop, passing text through the reply filters, then emit usage."""
    trimmer = Trim() if trim else None
    extractor = ToolCallExtractor() if tool_calls else None

    def on_text(text: str) -> None:
        if extractor is not None:
            text = extractor.feed(text)
        if trimmer is not None:
            text = trimmer.feed(text)
        if text:
            emit(Delta(text=text))

    try:
        result = complete(model, tokens, sampling, on_text, cancelled)
    except AimuError:
        raise
    except Exception as exc:
        raise translate_generation_error(exc) from exc
    finish = result.finish_reason
    calls: list[ToolCallDelta] = []
    if extractor is not None:
        rest, parsed = extractor.finish()
        if rest and trimmer is not None:
            rest = trimmer.feed(rest)
        calls = [
            ToolCallDelta(index=i, name=name, arguments=args)
            for i, (name, args) in enumerate(parsed)
        ]
        if calls:
            finish = "tool_calls"
        if rest:
            emit(Delta(text=rest))
    emit(Delta(tool_calls=calls, usage=result.usage, finish_reason=finish))


def _handler_sampling(model: _cache.LoadedModel, sampling: Sampling) -> dict[str, Any]:
    values = {k: v for k, v in sampling.__dict__.items() if k not in {"stop", "grammar"}}
    values["stop"] = list(sampling.stop)
    if sampling.grammar is not None:
        from ._completion import _grammar

        values["grammar"] = _grammar(model, sampling.grammar)
    return values


def _check_handler_prompt_length(model: _cache.LoadedModel, messages: list[dict[str, Any]]) -> None:
    """A lower bound of the prompt's length (its text alone) against ``n_ctx``.

    A chat handler renders the prompt itself, so the exact count is unknown
    here; the text alone already overflowing is certain. An overflow the
    bound misses is raised by llama-cpp-python and translated.
    """
    text = "\n".join(text_parts(m.get("content")) for m in messages)
    tokens = model.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
    if len(tokens) >= model.n_ctx:
        raise context_length_error(len(tokens), model.n_ctx)


def _chunk_delta(chunk: Mapping[str, Any]) -> Delta | None:
    """An OpenAI-style chat completion chunk from a llama-cpp-python handler -> Delta."""
    choices = chunk.get("choices") or []
    if not choices:
        return None
    choice = choices[0]
    body = choice.get("delta") or choice.get("message") or {}
    calls = [
        ToolCallDelta(
            index=call.get("index", i),
            id=call.get("id"),
            name=(call.get("function") or {}).get("name"),
            arguments=(call.get("function") or {}).get("arguments"),
        )
        for i, call in enumerate(body.get("tool_calls") or [])
    ]
    usage = chunk.get("usage")
    return Delta(
        text=body.get("content") or "",
        tool_calls=calls,
        usage=dict(usage) if usage else None,
        finish_reason=choice.get("finish_reason"),
    )
