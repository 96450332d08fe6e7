"""``anthropic`` SDK exceptions -> the facts :mod:`aimu_core.http_errors` words as aimu errors.

The SDK raises ``APIStatusError`` for an HTTP error and for an ``error`` event
inside a 200 stream, ``APITimeoutError`` / ``APIConnectionError`` when no
answer comes, a ``TypeError`` (or ``CredentialsError``) when it finds no key,
and lets httpx's errors through while a stream is read. What is Anthropic's
own is here: the error ``type`` its bodies carry, which names the status it
stands for.
"""

from __future__ import annotations

from typing import Any

import anthropic

from aimu_core.provider import (
    AimuError,
    AuthenticationError,
    ErrorContext,
    connection_error,
    invalid_response,
    status_error,
    stream_error,
    timeout_error,
    transport_error,
)

__all__ = ["anthropic_error"]

#: Anthropic's error types and the status each stands for (docs.anthropic.com/en/api/errors);
#: the type decides over the HTTP status, which a proxy may have changed.
_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}
_EXPECTED = "a reply of the Messages API"
#: Raised when a credentials profile is missing or broken (newer SDKs only).
_NO_CREDENTIALS: Any = getattr(anthropic, "CredentialsError", ())


def anthropic_error(
    ctx: ErrorContext, exc: BaseException, text: str, *, streaming: bool, timeout: object
) -> AimuError | None:
    """What *exc* means as an aimu error; ``None`` when it did not come from the SDK.

    With *ctx*, *streaming* and *timeout* bound, this is the ``translate`` of
    :func:`~aimu_core.provider.sdk_deltas`: *text* is ``str(exc)``, the key redacted.
    """
    if isinstance(exc, anthropic.APITimeoutError):
        return timeout_error(ctx, timeout)
    if isinstance(exc, anthropic.APIConnectionError):
        cause = exc.__cause__  # the httpx error says more than the SDK's "Connection error."
        # A body cut half-way is wrapped the same way as a refused connection.
        found = cause and transport_error(ctx, cause, streaming=streaming, timeout=timeout)
        return found or connection_error(ctx, f"{type(cause).__name__}: {cause}" if cause else text)
    if isinstance(exc, anthropic.APIResponseValidationError):  # a 2xx body of another shape
        return invalid_response(ctx, text)
    if isinstance(exc, anthropic.APIStatusError):
        kind, message = _error_body(exc.body)
        # The type leads the detail: it is how Anthropic's docs name the failure.
        detail = f"{kind}: {message}" if kind and message else text
        if exc.status_code < 400:  # an `error` event in a 200 stream, e.g. overloaded_error
            return stream_error(ctx, detail, code=kind)
        status = _STATUS.get(kind, exc.status_code)
        return status_error(ctx, status, detail, code=kind, headers=exc.response.headers)
    if isinstance(exc, _NO_CREDENTIALS) or (
        isinstance(exc, TypeError) and "authentication method" in text  # the SDK's "no key"
    ):
        return AuthenticationError(
            f"No Anthropic credentials ({text}). Fix: set ANTHROPIC_API_KEY or pass api_key=.",
            provider=ctx.provider,
        )
    if isinstance(exc, AttributeError):  # the SDK builds events unchecked: one of another shape
        return invalid_response(ctx, f"events of another shape ({text})", _EXPECTED)
    return transport_error(ctx, exc, streaming=streaming, timeout=timeout)


def _error_body(body: Any) -> tuple[str, str]:
    """``(type, message)`` of an ``{"type": "error", "error": {...}}`` body; empty when absent."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("type") or ""), str(error.get("message") or "")
