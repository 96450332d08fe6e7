"""Building ``aimu_core.errors`` from what an OpenAI-compatible server answered.

``client.py`` catches the SDK's exceptions and hands their facts (status,
message, error code, headers) to these functions, which pick the aimu error
class and write a message that says what went wrong and what to do. Every
message passes through :func:`aimu_core.errors.redact`: some servers echo the
API key back in an authentication error.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

from aimu_core.errors import (
    AimuError,
    AuthenticationError,
    ContextLengthError,
    ModelNotFoundError,
    ProviderConnectionError,
    ProviderError,
    RateLimitError,
    RequestTimeoutError,
    StreamInterruptedError,
    redact,
)

__all__ = [
    "ErrorContext",
    "connection_error",
    "invalid_response",
    "is_context_length",
    "retry_after",
    "status_error",
    "stream_error",
    "stream_interrupted",
    "timeout_error",
]

#: How servers word "the prompt does not fit": OpenAI and vLLM ("maximum context
#: length"), llama.cpp ("exceeds the available context size"), llama-cpp-python,
#: LM Studio ("context length"/"context window"), Gemini ("input token count").
_CONTEXT_WORDING = re.compile(
    r"context[ _-]?(length|window|size)|maximum context|too many tokens|prompt is too long"
    r"|input token count|exceed(s|ed)? the (maximum|available) (number of )?(context|tokens)",
    re.IGNORECASE,
)
_CONTEXT_CODES = frozenset({"context_length_exceeded", "exceed_context_size_error"})


@dataclass(frozen=True)
class ErrorContext:
    """What an error message needs to know about the client that failed."""

    provider: str
    model: str
    base_url: str
    #: Env vars the API key can come from, named in authentication errors.
    key_envs: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()

    def clean(self, text: object) -> str:
        return redact(str(text), self.secrets)

    @property
    def where(self) -> str:
        return f"{self.provider} at {self.base_url}"


def is_context_length(code: object, message: str) -> bool:
    """Whether a 400-class error says the conversation does not fit the context window."""
    return (isinstance(code, str) and code in _CONTEXT_CODES) or bool(
        _CONTEXT_WORDING.search(message)
    )


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asked us to wait: ``retry-after-ms``, or ``retry-after`` (seconds or an HTTP date)."""
    if not headers:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def status_error(
    ctx: ErrorContext,
    status: int,
    message: str,
    *,
    code: object = None,
    headers: Mapping[str, str] | None = None,
) -> AimuError:
    """The aimu error for an HTTP error status from the server."""
    text = ctx.clean(message)
    if status in (401, 403):
        if ctx.key_envs:
            fix = f"check the key in {' or '.join(ctx.key_envs)} or the api_key= you passed"
        else:
            fix = "pass the server's key as api_key="
        verb = "rejected the API key" if status == 401 else "refused access with this API key"
        return AuthenticationError(
            f"{ctx.where} {verb} ({status}): {text}. Fix: {fix}.",
            provider=ctx.provider,
            status_code=status,
        )
    if status == 404:
        return ModelNotFoundError(
            f"{ctx.where} does not know model {ctx.model!r} (404): {text}. Check the model id "
            "(`aimu models` lists the catalog; a local server lists its own at /v1/models) "
            "and that the base URL ends where the API starts (usually /v1)."
        )
    if status == 429:
        wait = retry_after(headers)
        hint = f"retry after {wait:g} s" if wait is not None else "retry later"
        return RateLimitError(
            f"{ctx.where} rate-limited the request (429): {text}. Slow down and {hint}; "
            "max_retries= lets the SDK retry for you.",
            provider=ctx.provider,
            status_code=429,
            retry_after=wait,
        )
    if status in (400, 413, 422) and is_context_length(code, message):
        return ContextLengthError(
            f"The conversation no longer fits the context window of {ctx.model!r} ({status}): "
            f"{text}. Shorten it (client.reset(), or drop old messages) or lower max_tokens.",
            provider=ctx.provider,
            status_code=status,
        )
    if status == 408:
        return RequestTimeoutError(
            f"{ctx.where} timed out handling the request (408): {text}.",
            provider=ctx.provider,
            status_code=status,
        )
    if status >= 500:
        return ProviderError(
            f"{ctx.where} failed with a server error ({status}): {text}. This is usually "
            "temporary: retry later (max_retries= lets the SDK retry for you).",
            provider=ctx.provider,
            status_code=status,
        )
    return ProviderError(
        f"{ctx.where} rejected the request ({status}): {text}",
        provider=ctx.provider,
        status_code=status,
    )


def timeout_error(ctx: ErrorContext, timeout: object) -> RequestTimeoutError:
    limit = f" within {timeout} s" if isinstance(timeout, (int, float)) else ""
    return RequestTimeoutError(
        f"{ctx.where} did not answer{limit}. Raise timeout= for slow models, or check "
        "that the server is not overloaded.",
        provider=ctx.provider,
    )


def connection_error(ctx: ErrorContext, detail: object) -> ProviderConnectionError:
    return ProviderConnectionError(
        f"Could not reach {ctx.where}: {ctx.clean(detail)}. Is the server running, and is "
        "the base URL right (model string @url, base_url=, or the provider's env var)?",
        provider=ctx.provider,
    )


def invalid_response(ctx: ErrorContext, detail: object) -> ProviderError:
    return ProviderError(
        f"{ctx.where} answered with something that is not a Chat Completions response: "
        f"{ctx.clean(detail)}. Is the base URL an OpenAI-compatible API root (usually .../v1)?",
        provider=ctx.provider,
    )


def stream_interrupted(ctx: ErrorContext, detail: object) -> StreamInterruptedError:
    return StreamInterruptedError(
        f"The streamed reply from {ctx.where} was cut off before it finished: "
        f"{ctx.clean(detail)}. The partial turn was discarded; retry the call.",
        provider=ctx.provider,
    )


def stream_error(ctx: ErrorContext, message: str, code: object = None) -> ProviderError:
    """An error event the server sent in the middle of a stream."""
    if is_context_length(code, message):
        return ContextLengthError(
            f"The conversation no longer fits the context window of {ctx.model!r}: "
            f"{ctx.clean(message)}. Shorten it or lower max_tokens.",
            provider=ctx.provider,
        )
    return StreamInterruptedError(
        f"{ctx.where} reported an error in the middle of a streamed reply: "
        f"{ctx.clean(message)}. The partial turn was discarded; retry the call.",
        provider=ctx.provider,
    )
