"""The token loop: one completion of a tokenized prompt on a loaded model.

Built on ``Llama.generate`` (llama-cpp-python's token generator, which keeps
the KV cache of a shared prompt prefix between calls) rather than
``create_completion``, because a chat client needs three things the latter
does not give a stream: exact token usage, the prompt checked against
``n_ctx`` before any work, and pieces decoded incrementally (no re-decoding of
the whole reply per token). Sampling defaults are ``create_completion``'s.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aimu_core.errors import ConfigurationError

from ._cache import LoadedModel
from ._errors import context_length_error
from ._textstream import StopMatcher

__all__ = ["Completion", "Sampling", "complete"]


@dataclass(frozen=True)
class Sampling:
    """Sampling settings; defaults are llama-cpp-python's ``create_completion`` defaults."""

    temperature: float = 0.8
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    typical_p: float = 1.0
    repeat_penalty: float = 1.0
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    mirostat_mode: int = 0
    mirostat_tau: float = 5.0
    mirostat_eta: float = 0.1
    grammar: Any = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> Sampling:
        """Build from translated generate kwargs, checking the native ones core cannot."""
        values = dict(kwargs)
        for name in ("min_p", "typical_p", "mirostat_tau", "mirostat_eta"):
            if name in values and not _is_number(values[name]):
                raise ConfigurationError(
                    f"Generation kwarg {name}={values[name]!r} must be a number"
                )
        if "mirostat_mode" in values and values["mirostat_mode"] not in (0, 1, 2):
            raise ConfigurationError(
                f"Generation kwarg mirostat_mode={values['mirostat_mode']!r} must be 0, 1 or 2"
            )
        grammar = values.get("grammar")
        if (
            grammar is not None
            and not isinstance(grammar, str)
            and not hasattr(grammar, "_grammar")
        ):
            raise ConfigurationError(
                "Generation kwarg grammar must be a GBNF string or a llama_cpp.LlamaGrammar"
            )
        if "stop" in values:
            values["stop"] = tuple(values["stop"])
        return cls(**values)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass
class Completion:
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str

    @property
    def usage(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }


def _is_eog(model: LoadedModel) -> Callable[[int], bool]:
    check = model.memo.get("is_eog")
    if check is None:
        import llama_cpp

        vocab = llama_cpp.llama_model_get_vocab(model.llm.model)
        is_eog = llama_cpp.llama_vocab_is_eog

        def check(token: int) -> bool:
            return bool(is_eog(vocab, token))

        model.memo["is_eog"] = check
    return check  # type: ignore[no-any-return]


def _grammar(model: LoadedModel, grammar: Any) -> Any:
    """A ``LlamaGrammar`` checked to compile.

    llama-cpp-python hands an invalid grammar's NULL sampler straight to
    llama.cpp, which crashes the process; so the GBNF is compiled once here
    through llama.cpp's public API and rejected with a clear error instead.
    """
    if grammar is None:
        return None
    import llama_cpp
    from llama_cpp import LlamaGrammar

    if isinstance(grammar, str):
        grammar = LlamaGrammar.from_string(grammar, verbose=False)
    text = getattr(grammar, "_grammar", None)
    root = getattr(grammar, "_root", "root")
    if not isinstance(text, str) or not text.strip():
        raise ConfigurationError("Generation kwarg grammar is empty")
    vocab = llama_cpp.llama_model_get_vocab(model.llm.model)
    sampler = llama_cpp.llama_sampler_init_grammar(
        vocab, text.encode("utf-8"), str(root).encode("utf-8")
    )
    if not sampler:
        raise ConfigurationError(
            "Generation kwarg grammar is not valid GBNF (llama.cpp could not parse it; see "
            "https://github.com/ggml-org/llama.cpp/blob/master/grammars/README.md)"
        )
    llama_cpp.llama_sampler_free(sampler)
    return grammar


def complete(
    model: LoadedModel,
    tokens: list[int],
    sampling: Sampling,
    emit: Callable[[str], None],
    cancelled: Callable[[], bool],
) -> Completion:
    """Generate after *tokens*, calling ``emit`` with each decoded piece of text.

    Stops at an end-of-generation token, a stop sequence, ``max_tokens`` (at
    most what is left of ``n_ctx``) or when ``cancelled()`` turns true. With a
    ``seed`` the prompt is evaluated from scratch: reusing a cached prefix
    changes the logits in their last bits, and with them the sampled text.
    """
    import llama_cpp

    llm = model.llm
    n_ctx = model.n_ctx
    if not tokens:
        raise ConfigurationError("The prompt is empty; give the model some text to continue")
    if len(tokens) >= n_ctx:
        raise context_length_error(len(tokens), n_ctx)
    room = n_ctx - len(tokens)
    limit = room if sampling.max_tokens is None else min(sampling.max_tokens, room)
    if sampling.seed is None:
        llm.set_seed(llama_cpp.LLAMA_DEFAULT_SEED)  # llama.cpp picks a random seed
    else:
        llm.set_seed(sampling.seed & 0xFFFFFFFF)
        llm.reset()
    is_eog = _is_eog(model)
    detokenize = llm.detokenize
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    stops = StopMatcher(list(sampling.stop))
    generator = llm.generate(
        tokens,
        top_k=sampling.top_k,
        top_p=sampling.top_p,
        min_p=sampling.min_p,
        typical_p=sampling.typical_p,
        temp=sampling.temperature,
        repeat_penalty=sampling.repeat_penalty,
        frequency_penalty=sampling.frequency_penalty,
        presence_penalty=sampling.presence_penalty,
        mirostat_mode=sampling.mirostat_mode,
        mirostat_tau=sampling.mirostat_tau,
        mirostat_eta=sampling.mirostat_eta,
        grammar=_grammar(model, sampling.grammar),
    )
    count = 0
    finish = "length"
    try:
        for token in generator:
            if is_eog(token):
                finish = "stop"
                break
            count += 1
            text = stops.feed(decoder.decode(detokenize([token])))
            if text:
                emit(text)
            if stops.stopped:
                finish = "stop"
                break
            if count >= limit or cancelled():
                break
    finally:
        generator.close()
    if not stops.stopped:
        rest = stops.feed(decoder.decode(b"", final=True))
        rest += "" if stops.stopped else stops.flush()
        if rest:
            emit(rest)
        if stops.stopped:
            finish = "stop"
    return Completion(len(tokens), count, finish)
