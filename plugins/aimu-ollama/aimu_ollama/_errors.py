"""``ollama`` SDK (and its httpx transport) exceptions -> :mod:`aimu_core.errors`.

The SDK raises ``ollama.ResponseError`` for HTTP errors and error lines in a
stream (status ``-1``), the built-in ``ConnectionError`` when no server
answers, and lets httpx's timeout and transport errors through. Messages go
through :func:`aimu_core.errors.redact`; the SDK exception is chained only
when its text held no secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import ollama

from aimu_core.errors import (
    AimuError,
    AuthenticationError,
    ConfigurationError,
    ContextLengthError,
    ModelNotFoundError,
    ProviderConnectionError,
    ProviderError,
    RateLimitError,
    RequestTimeoutError,
    StreamInterruptedError,
    redact,
    translate_sdk_error,
)

__all__ = ["translate"]

PROVIDER = "ollama"
_CONTEXT = re.compile(
    r"context (length|window|size)|too many tokens|exceeds? .*context", re.IGNORECASE
)
_TIMEOUT = {"TimeoutException", "ReadTimeout", "ConnectTimeout", "WriteTimeout", "PoolTimeout"}
_CONNECT = {"ConnectError"}
_CUT = {"RemoteProtocolError", "ReadError", "NetworkError", "ProtocolError", "StreamError"}


def translate(
    exc: BaseException,
    *,
    secrets: Iterable[str | None],
    model: str,
    host: str,
    streaming: bool,
) -> BaseException:
    """The aimu error for *exc* (or *exc* itself when it is not the SDK's)."""
    secrets = list(secrets)
    return translate_sdk_error(
        exc,
        secrets,
        lambda error, text: _translate(
            error, text, secrets, model=model, host=host, streaming=streaming
        ),
    )


def _translate(
    exc: BaseException,
    text: str,
    secrets: list[str | None],
    *,
    model: str,
    host: str,
    streaming: bool,
) -> AimuError | None:
    if isinstance(exc, ollama.ResponseError):
        detail = redact(str(exc.error), secrets) if exc.error else text
        return _response_error(exc, detail, model, streaming)
    names = {cls.__name__ for cls in type(exc).__mro__}
    from_httpx = type(exc).__module__.startswith("httpx")
    if names & _TIMEOUT:
        return RequestTimeoutError(
            f"Ollama at {host} did not answer in time ({text}); raise timeout= "
            "(loading a model can take a while)",
            provider=PROVIDER,
        )
    if isinstance(exc, ConnectionError) or (from_httpx and names & _CONNECT):
        return ProviderConnectionError(
            f"Cannot reach Ollama at {host}: is `ollama serve` running? "
            "Set OLLAMA_HOST or base_url= if it listens elsewhere.",
            provider=PROVIDER,
        )
    if from_httpx and names & _CUT:
        if streaming:
            return StreamInterruptedError(
                f"The Ollama stream was cut off before the reply finished ({text})",
                provider=PROVIDER,
            )
        return ProviderConnectionError(
            f"The connection to Ollama at {host} broke ({text})", provider=PROVIDER
        )
    return None


def _response_error(
    exc: ollama.ResponseError, detail: str, model: str, streaming: bool
) -> AimuError:
    status = exc.status_code
    if status == -1:  # an {"error": ...} line inside a 200 stream
        if streaming:
            return StreamInterruptedError(
                f"Ollama reported an error mid-stream: {detail}", provider=PROVIDER
            )
        return ProviderError(f"Ollama failed: {detail}", provider=PROVIDER)
    if status in (401, 403):
        return AuthenticationError(
            f"Ollama rejected the credentials ({detail}); check OLLAMA_API_KEY or api_key=",
            provider=PROVIDER,
            status_code=status,
        )
    if status == 404:
        return ModelNotFoundError(
            f"Ollama has no model {model!r} ({detail}); pull it first: ollama pull {model}"
        )
    if status == 429:
        return RateLimitError(
            f"Ollama rate limit reached ({detail})", provider=PROVIDER, status_code=status
        )
    if status in (400, 413, 500) and _CONTEXT.search(detail):
        return ContextLengthError(
            f"The conversation no longer fits {model!r}'s context ({detail}); raise "
            "context_length=, reset() or shorten the history",
            provider=PROVIDER,
            status_code=status,
        )
    if status == 400 and "does not support" in detail:
        return ConfigurationError(
            f"Ollama: {detail}. Use a model with that capability, or drop the flag or kwarg "
            "that asks for it"
        )
    if status in (408, 504):
        return RequestTimeoutError(
            f"Ollama timed out ({detail})", provider=PROVIDER, status_code=status
        )
    where = "server error" if status >= 500 else "request rejected"
    return ProviderError(
        f"Ollama {where} (HTTP {status}): {detail}", provider=PROVIDER, status_code=status
    )
