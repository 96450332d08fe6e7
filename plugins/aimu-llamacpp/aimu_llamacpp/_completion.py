"""One request on a loaded model: its kwargs, the llama-cpp-python call, its reply as Deltas.

Raw completions, and chats rendered by :mod:`._prompt`, run through
``Llama.create_completion``; ``chat_format=``/``chat_handler=`` chats through
that llama-cpp-python chat handler. Their sampling, stop sequences,
``max_tokens`` clamp and UTF-8 handling are used as they are. On top, a chat
client needs: the prompt checked against ``n_ctx`` before any work, with a
clear error; exact token usage, streamed too (counted by :mod:`._cache`'s
``Llama``); the reply filters of ``aimu_core.provider``; and llama-cpp-python's
exceptions translated. Each function here returns the reply's Deltas as a
generator that runs on the model's thread (:mod:`._jobs`).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from aimu_core.provider import (
    AimuError,
    ConfigurationError,
    ContextLengthError,
    Delta,
    ProviderError,
    ToolCallDelta,
    ToolCallExtractor,
    Trim,
    is_context_length,
    sdk_deltas,
)

from ._cache import LoadedModel
from ._prompt import Prompt

__all__ = ["check_kwargs", "complete", "handler_chat"]

PROVIDER = "llamacpp"

#: ``create_completion``'s defaults where a chat handler's differ (0.2 and 1.1), so that
#: every request samples alike unless told otherwise.
_HANDLER_DEFAULTS = {"temperature": 0.8, "repeat_penalty": 1.0}


def check_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Check the native kwargs core cannot, before any work is queued."""
    for name in ("min_p", "typical_p", "mirostat_tau", "mirostat_eta"):
        value = kwargs.get(name, 0.0)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ConfigurationError(f"Generation kwarg {name}={value!r} must be a number")
    if kwargs.get("mirostat_mode", 0) not in (0, 1, 2):
        raise ConfigurationError(
            f"Generation kwarg mirostat_mode={kwargs['mirostat_mode']!r} must be 0, 1 or 2"
        )
    grammar = kwargs.get("grammar")
    if grammar is not None and not isinstance(grammar, str) and not hasattr(grammar, "_grammar"):
        raise ConfigurationError(
            "Generation kwarg grammar must be a GBNF string or a llama_cpp.LlamaGrammar"
        )
    return kwargs


def _sampling(model: LoadedModel, kwargs: dict[str, Any]) -> dict[str, Any]:
    """*kwargs* as llama-cpp-python takes them; starts the request's token count."""
    import llama_cpp

    options = {**kwargs, "grammar": _grammar(model, kwargs.get("grammar"))}
    options.setdefault("max_tokens", None)  # what is left of n_ctx, not create_completion's 16
    if options.get("seed") is None:
        # llama.cpp picks a random seed (create_completion would derive it from the last one)
        options["seed"] = llama_cpp.LLAMA_DEFAULT_SEED
    else:
        # Reusing the KV cache of a shared prefix changes the logits in their last bits,
        # and with them the sampled text: a seeded request evaluates its prompt afresh.
        options["seed"] &= 0xFFFFFFFF
        model.llm.reset()
    model.llm.counts = [0, 0]
    return options


def _grammar(model: LoadedModel, grammar: Any) -> Any:
    """A ``LlamaGrammar`` checked to compile.

    llama-cpp-python hands an invalid grammar's NULL sampler straight to
    llama.cpp, which crashes the process; so the GBNF is compiled once here
    through llama.cpp's public API and rejected with a clear error instead.
    """
    if grammar is None:
        return None
    import llama_cpp

    if isinstance(grammar, str):
        grammar = llama_cpp.LlamaGrammar.from_string(grammar, verbose=False)
    text, root = getattr(grammar, "_grammar", None), getattr(grammar, "_root", "root")
    if not isinstance(text, str) or not text.strip():
        raise ConfigurationError("Generation kwarg grammar is empty")
    vocab = llama_cpp.llama_model_get_vocab(model.llm.model)
    with _stderr_captured() as parser_output:
        sampler = llama_cpp.llama_sampler_init_grammar(vocab, text.encode(), str(root).encode())
    why = " ".join(parser_output().split())
    if why:
        _log.debug("llama.cpp grammar parser: %s", why)
    if not sampler:
        detail = f": {why[:200]}" if why else ""
        raise ConfigurationError(
            f"Generation kwarg grammar is not valid GBNF (llama.cpp could not parse it{detail}; "
            "see https://github.com/ggml-org/llama.cpp/blob/master/grammars/README.md)"
        )
    llama_cpp.llama_sampler_free(sampler)
    return grammar


_log = logging.getLogger("aimu_llamacpp.llama_cpp")
_stderr_lock = threading.Lock()


@contextlib.contextmanager
def _stderr_captured() -> Iterator[Any]:
    """Catch what C code writes to file descriptor 2 meanwhile (llama.cpp's grammar parser
    prints its errors there, not through the log callback); yields a getter for the text.

    The descriptor is the process's, so a write by another thread in that moment is
    caught too: the window is one parse, and what is caught goes to the log.
    """
    captured = ""
    with _stderr_lock, tempfile.TemporaryFile() as sink:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield lambda: captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured = sink.read().decode("utf-8", "replace")


def _translate(exc: BaseException, text: str) -> AimuError:
    if is_context_length(None, text):  # "Requested tokens (n) exceed context window of m"
        return ContextLengthError(f"llama.cpp: {text}", provider=PROVIDER)
    return ProviderError(f"llama.cpp failed: {type(exc).__name__}: {text}", provider=PROVIDER)


class Reply:
    """Reads ``create_completion``'s reply, whole or in parts, into Deltas, as *prompt* says."""

    def __init__(self, llm: Any, prompt: Prompt) -> None:
        self._llm = llm
        self._head = prompt.head
        self._trim = Trim() if prompt.trim else None
        self._calls = ToolCallExtractor() if prompt.tool_calls else None

    def read(self, part: Mapping[str, Any]) -> Delta | None:
        choice = part["choices"][0]
        text = choice["text"]
        if self._calls is not None:
            text = self._calls.feed(text)
        if self._trim is not None:
            text = self._trim.feed(text)
        if self._head:
            text, self._head = self._head + text, ""
        if choice["finish_reason"] is None:  # a streamed piece; the last part has a reason
            return Delta(text=text) if text else None
        calls: list[ToolCallDelta] = []
        if self._calls is not None:
            rest, parsed = self._calls.finish()
            text += self._trim.feed(rest) if self._trim is not None else rest
            calls = [ToolCallDelta(index=i, name=n, arguments=a) for i, (n, a) in enumerate(parsed)]
        return Delta(
            text=text,
            tool_calls=calls,
            usage=self._llm.usage(),
            finish_reason="tool_calls" if calls else choice["finish_reason"],
        )


def complete(
    model: LoadedModel, prompt: Prompt, kwargs: dict[str, Any], *, stream: bool
) -> Iterator[Delta]:
    """Complete *prompt* with ``create_completion``."""
    llm = model.llm
    if prompt.stop:
        stop = kwargs.get("stop") or []
        kwargs = {**kwargs, "stop": [*([stop] if isinstance(stop, str) else stop), *prompt.stop]}

    def call() -> Any:
        options = _sampling(model, kwargs)
        tokens = llm.tokenize(prompt.text.encode(), add_bos=prompt.add_bos, special=prompt.special)
        if not tokens:
            raise ConfigurationError("The prompt is empty; give the model some text to continue")
        if len(tokens) >= model.n_ctx:
            raise ContextLengthError(
                f"The prompt is {len(tokens)} tokens but the model's context window is "
                f"n_ctx={model.n_ctx} tokens (a reply needs at least one more). Shorten the "
                "conversation (client.reset()) or create the client with a larger n_ctx=.",
                provider=PROVIDER,
            )
        return llm.create_completion(tokens, stream=stream, **options)

    return sdk_deltas(call, Reply(llm, prompt).read, stream=stream, translate=_translate)


def handler_chat(
    handler: Any,
    model: LoadedModel,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    kwargs: dict[str, Any],
    *,
    stream: bool,
) -> Iterator[Delta]:
    """Chat through a llama-cpp-python chat handler (function calling, multimodal).

    The handler renders and tokenizes the prompt itself; llama-cpp-python checks
    it against ``n_ctx`` before evaluating it, and its error is translated.
    """
    call = lambda: handler(  # noqa: E731
        llama=model.llm,
        messages=messages,
        tools=tools or None,
        tool_choice="auto" if tools else None,
        stream=stream,
        **{**_HANDLER_DEFAULTS, **_sampling(model, kwargs)},
    )
    read = functools.partial(_chat_delta, model.llm)
    return sdk_deltas(call, read, stream=stream, translate=_translate)


def _chat_delta(llm: Any, chunk: Mapping[str, Any]) -> Delta | None:
    """An OpenAI-style chat completion (or chunk) from a chat handler -> Delta."""
    if not chunk.get("choices"):
        return None
    choice = chunk["choices"][0]
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
    finish = choice.get("finish_reason")
    return Delta(
        text=body.get("content") or "",
        tool_calls=calls,
        usage=llm.usage() if finish else None,
        finish_reason=finish,
    )
