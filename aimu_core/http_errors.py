"""HTTP failures as :mod:`aimu_core.errors`: the mapping every network provider shares.

A network provider's plugin catches its SDK's exceptions, reads the facts
out of them (status, message, error code, headers) and hands them here;
these functions pick the aimu error class and word a message that says what
went wrong and how to fix it. The provider only adds what is its own, as
:attr:`ErrorContext.hints` (``{404: "pull it first: ollama pull {model}"}``).

Everything here is SDK-free: httpx exceptions are recognised by class name
(:func:`transport_error`), so this module imports no HTTP library. Every
message passes through :func:`aimu_core.errors.redact`: some servers echo the
API key back in an authentication error.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import (
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

if TYPE_CHECKING:
    from pydantic import SecretStr

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
    "transport_error",
]

#: How servers word "the prompt does not fit": OpenAI and vLLM ("maximum context
#: length"), llama.cpp ("exceeds the available context size"), LM Studio
#: ("context length"/"context window"), Gemini ("input token count"), Anthropic
#: ("prompt is too long"), Ollama ("exceeds ... context").
_CONTEXT_WORDING = re.compile(
    r"context[ _-]?(length|window|size|limit)|maximum context|too many tokens|prompt is too long"
    r"|input token count|exceed(s|ed)? (the )?((maximum|available) )?(number of )?(context|tokens)"
    r"|exceeds? .*context",
    re.IGNORECASE,
)
_CONTEXT_CODES = frozenset({"context_length_exceeded", "exceed_context_size_error"})

# httpx exception class names (httpx is every SDK's transport here; matched by
# name so this module never imports it).
_TIMEOUTS = frozenset(
    {"TimeoutException", "ReadTimeout", "ConnectTimeout", "WriteTimeout", "PoolTimeout"}
)
_CONNECT = frozenset({"ConnectError"})
_CUT = frozenset(
    {"RemoteProtocolError", "ReadError", "ProtocolError", "NetworkError", "StreamError"}
)


@dataclass(frozen=True)
class ErrorContext:
    """What an error message needs to know about the client that failed.

    Attributes:
        provider: the model-string prefix, set on every error as ``provider``.
        model: the model id, named in not-found and context errors.
        base_url: where the server is, named in connection errors.
        name: how messages call the server (default: the provider prefix).
        key_envs: env vars the API key can come from, named in authentication errors.
        secrets: every secret the client knows; redacted from every message.
        hints: extra advice by HTTP status, appended to that status's message
            (``0``: to a connection failure's); ``{model}`` is replaced by the model id.
        max_retries: whether the client takes ``max_retries=`` (its SDK retries);
            rate-limit and server-error messages point to it only then.
    """

    provider: str
    model: str
    base_url: str
    name: str = ""
    key_envs: tuple[str, ...] = ()
    secrets: tuple[SecretStr, ...] = field(default=(), repr=False)
    hints: Mapping[int, str] = field(default_factory=dict)
    max_retries: bool = True

    def clean(self, text: object) -> str:
        """*text* with every secret redacted."""
        return redact(str(text), self.secrets)

    @property
    def where(self) -> str:
        return f"{self.name or self.provider} at {self.base_url}"

    def _hint(self, status: int) -> str:
        hint = self.hints.get(status)
        return f" {hint.format(model=self.model)}" if hint else ""


def is_context_length(code: object, message: str) -> bool:
    """Whether an error says the conversation does not fit the context window."""
    return (isinstance(code, str) and code in _CONTEXT_CODES) or bool(
        _CONTEXT_WORDING.search(message)
    )


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asked us to wait: ``retry-after-ms``, or ``retry-after`` (seconds or
    an HTTP date); ``None`` when it said nothing usable."""
    if not headers:
        return None
    millis = _seconds(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000
    value = headers.get("retry-after")
    if not value:
        return None
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _seconds(value: str | None) -> float | None:
    """A non-negative finite number of seconds, or ``None`` ("nan", "inf" and words are not)."""
    try:
        number = float(value) if value else None
    except ValueError:
        return None
    if number is None or not math.isfinite(number):
        return None
    return max(number, 0.0)


def status_error(
    ctx: ErrorContext,
    status: int,
    message: str,
    *,
    code: object = None,
    headers: Mapping[str, str] | None = None,
) -> AimuError:
    """The aimu error for an HTTP error *status* the server answered with."""
    text = ctx.clean(message)
    hint = ctx._hint(status)
    if status in (401, 403):
        if ctx.key_envs:
            fix = f"check the key in {' or '.join(ctx.key_envs)} or the api_key= you passed"
        else:
            fix = "pass the server's key as api_key="
        verb = "rejected the API key" if status == 401 else "refused access with this API key"
        return AuthenticationError(
            f"{ctx.where} {verb} ({status}): {text}. Fix: {fix}.{hint}",
            provider=ctx.provider,
            status_code=status,
        )
    if status == 404:
        return ModelNotFoundError(
            f"{ctx.where} does not know model {ctx.model!r} (404): {text}.{hint or _NOT_FOUND}"
        )
    if status == 429:
        wait = retry_after(headers)
        when = f"retry after {wait:g} s" if wait is not None else "retry later"
        return RateLimitError(
            f"{ctx.where} rate-limited the request (429): {text}. Slow down and {when}"
            f"{'; ' + _RETRIES if ctx.max_retries else ''}.{hint}",
            provider=ctx.provider,
            status_code=429,
            retry_after=wait,
        )
    if status in (400, 413, 422, 500) and is_context_length(code, message):
        return context_error(ctx, f"({status}): {text}", status)
    if status in (408, 504):
        return RequestTimeoutError(
            f"{ctx.where} timed out handling the request ({status}): {text}.{hint}",
            provider=ctx.provider,
            status_code=status,
        )
    if status >= 500:
        return ProviderError(
            f"{ctx.where} failed with a server error ({status}): {text}. This is usually "
            f"temporary: retry later{f' ({_RETRIES})' if ctx.max_retries else ''}.{hint}",
            provider=ctx.provider,
            status_code=status,
        )
    return ProviderError(
        f"{ctx.where} rejected the request ({status}): {text}{hint}",
        provider=ctx.provider,
        status_code=status,
    )


_RETRIES = "max_retries= lets the SDK retry for you"
_NOT_FOUND = (
    " Check the model id (`aimu models` lists the catalog; a local server lists its own) "
    "and the base URL."
)


def context_error(ctx: ErrorContext, detail: str, status: int | None = None) -> ContextLengthError:
    """The conversation does not fit the model's context window."""
    return ContextLengthError(
        f"The conversation no longer fits the context window of {ctx.model!r} {detail}. "
        "Shorten it (client.reset(), or drop old messages) or lower max_tokens.",
        provider=ctx.provider,
        status_code=status,
    )


def timeout_error(ctx: ErrorContext, timeout: object = None) -> RequestTimeoutError:
    """The server did not answer within *timeout* seconds."""
    limit = f" within {timeout} s" if isinstance(timeout, int | float) else " in time"
    return RequestTimeoutError(
        f"{ctx.where} did not answer{limit}. Raise timeout= for slow models, or check "
        "that the server is not overloaded.",
        provider=ctx.provider,
    )


def connection_error(ctx: ErrorContext, detail: object) -> ProviderConnectionError:
    """No connection could be made to the server."""
    return ProviderConnectionError(
        f"Could not reach {ctx.where}: {ctx.clean(detail)}. Is the server running, and is "
        f"the base URL right (model string @url, base_url=, or the provider's env var)?"
        f"{ctx._hint(0)}",
        provider=ctx.provider,
    )


def invalid_response(
    ctx: ErrorContext, detail: object, expected: str = "an answer of its API"
) -> ProviderError:
    """The server answered with something that is not what its API sends."""
    return ProviderError(
        f"{ctx.where} answered with something that is not {expected}: {ctx.clean(detail)}. "
        "Is the base URL the API's root?",
        provider=ctx.provider,
    )


def stream_interrupted(ctx: ErrorContext, detail: object) -> StreamInterruptedError:
    """A streamed reply was cut off before the server finished it."""
    return StreamInterruptedError(
        f"The streamed reply from {ctx.where} was cut off before it finished: "
        f"{ctx.clean(detail)}. The partial turn was discarded; retry the call.",
        provider=ctx.provider,
    )


def stream_error(ctx: ErrorContext, message: str, code: object = None) -> ProviderError:
    """An error the server reported in the middle of a stream."""
    if is_context_length(code, message):
        return context_error(ctx, f": {ctx.clean(message)}")
    return StreamInterruptedError(
        f"{ctx.where} reported an error in the middle of a streamed reply: "
        f"{ctx.clean(message)}. The partial turn was discarded; retry the call.",
        provider=ctx.provider,
    )


def transport_error(
    ctx: ErrorContext, exc: BaseException, *, streaming: bool, timeout: object = None
) -> AimuError | None:
    """The aimu error for what the HTTP layer raised, or ``None`` when *exc* is not that.

    Covers httpx's timeouts, refused connections and bodies cut off mid-read
    (which SDKs let through while a stream is read), and a body that is not
    the JSON the API sends.
    """
    names = {cls.__name__ for cls in type(exc).__mro__}
    from_httpx = type(exc).__module__.startswith("httpx")
    if from_httpx and names & _TIMEOUTS:
        return timeout_error(ctx, timeout)
    if from_httpx and names & _CONNECT:
        return connection_error(ctx, f"{type(exc).__name__}: {exc}")
    if from_httpx and names & _CUT:
        if streaming:
            return stream_interrupted(ctx, f"{type(exc).__name__}: {exc}")
        return ProviderConnectionError(
            f"The connection to {ctx.where} broke before the reply was complete "
            f"({type(exc).__name__}: {ctx.clean(exc)}). Retry the call.",
            provider=ctx.provider,
        )
    if isinstance(exc, json.JSONDecodeError):
        return invalid_response(ctx, f"invalid JSON ({exc})")
    return None
