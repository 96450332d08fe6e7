"""``ollama`` SDK exceptions -> the facts :mod:`aimu_core.http_errors` words as aimu errors.

The SDK raises ``ollama.ResponseError`` for an HTTP error (its status and the
server's error text) and for an error line inside a 200 stream (status
``-1``), the built-in ``ConnectionError`` when no server answers, and lets
httpx's timeouts and transport errors through. What is Ollama's own is here:
its advice (``ollama pull``, ``ollama serve``, ``context_length=``) and its
400 for a capability the model lacks.
"""

from __future__ import annotations

from collections.abc import Mapping

import ollama

from aimu_core.provider import (
    AimuError,
    ConfigurationError,
    ErrorContext,
    connection_error,
    is_context_length,
    status_error,
    stream_error,
    transport_error,
)

__all__ = ["HINTS", "ollama_error"]

#: Ollama's advice by HTTP status (0: a connection failure).
HINTS = {
    0: "Start it with `ollama serve`; set OLLAMA_HOST or base_url= if it listens elsewhere.",
    404: "Pull it first: `ollama pull {model}`.",
}
#: Ollama's window is ``num_ctx``, often smaller than the model's: raising it is the first fix.
_CONTEXT_HINT = "; raise context_length= (Ollama's num_ctx) if the model allows more"


def ollama_error(
    ctx: ErrorContext, exc: BaseException, text: str, *, streaming: bool, timeout: object
) -> AimuError | None:
    """The aimu error for what the SDK raised, or ``None`` when *exc* is not the SDK's.

    The ``(exc, text)`` part of :data:`aimu_core.sdk_calls.Translate`; *text*
    is ``str(exc)`` with every secret redacted.
    """
    if isinstance(exc, ollama.ResponseError):
        detail = ctx.clean(exc.error) if exc.error else text
        if is_context_length(None, detail):
            detail += _CONTEXT_HINT
        elif exc.status_code == 400 and "does not support" in detail:
            return ConfigurationError(
                f"Ollama: {detail}. Use a model with that capability, or drop the flag or "
                "kwarg that asks for it"
            )
        if exc.status_code == -1:  # an error line inside a 200 stream
            return stream_error(ctx, detail)
        return status_error(ctx, exc.status_code, detail, headers=_headers(exc))
    if isinstance(exc, ConnectionError):  # the SDK's "Failed to connect" (httpx.ConnectError)
        return connection_error(ctx, "nothing answered (ConnectError)")
    return transport_error(ctx, exc, streaming=streaming, timeout=timeout)


def _headers(exc: ollama.ResponseError) -> Mapping[str, str] | None:
    """The reply's headers (a 429's ``retry-after``): the SDK raises its error ``from None``
    inside ``except httpx.HTTPStatusError``, which stays the context and keeps the response."""
    response = getattr(exc.__context__, "response", None)
    headers = getattr(response, "headers", None)
    return headers if isinstance(headers, Mapping) else None
