"""llama-cpp-python's exceptions -> ``aimu_core.errors``, at the plugin boundary.

llama-cpp-python raises plain ``ValueError``/``RuntimeError``/``TypeError``;
which one tells little, so the message decides. Errors that are already
``AimuError`` pass through unchanged.
"""

from __future__ import annotations

from aimu_core.errors import (
    AimuError,
    ConfigurationError,
    ContextLengthError,
    ModelNotFoundError,
    ProviderError,
)

__all__ = ["PROVIDER", "context_length_error", "translate_generation_error", "translate_load_error"]

PROVIDER = "llamacpp"


def context_length_error(n_prompt: int, n_ctx: int) -> ContextLengthError:
    return ContextLengthError(
        f"The prompt is {n_prompt} tokens but the model's context window is n_ctx={n_ctx} "
        "tokens (a reply needs at least one more). Shorten the conversation (client.reset()) "
        "or create the client with a larger n_ctx=.",
        provider=PROVIDER,
    )


def translate_load_error(exc: BaseException, path: str) -> AimuError:
    """An exception raised while loading *path* -> a clear error naming the file."""
    if isinstance(exc, AimuError):
        return exc
    if isinstance(exc, FileNotFoundError):
        return ModelNotFoundError(f"GGUF model file {path!r} does not exist")
    if isinstance(exc, TypeError):  # an unknown llama_kwargs name reaches Llama(**kwargs)
        return ConfigurationError(f"Invalid llama.cpp load option for {path!r}: {exc}")
    return ConfigurationError(
        f"Cannot load {path!r} as a GGUF model ({type(exc).__name__}: {exc}). The file may be "
        "corrupt, truncated, or from a newer llama.cpp than this llama-cpp-python supports; "
        "check the file, or upgrade llama-cpp-python."
    )


def translate_generation_error(exc: BaseException) -> AimuError:
    """An exception raised while generating -> the matching ``aimu_core.errors`` class."""
    if isinstance(exc, AimuError):
        return exc
    text = str(exc)
    if "context window" in text or "exceed context" in text or "n_ctx" in text:
        return ContextLengthError(f"llama.cpp: {text}", provider=PROVIDER)
    return ProviderError(f"llama.cpp failed: {type(exc).__name__}: {text}", provider=PROVIDER)
