"""Anthropic SDK exceptions -> :mod:`aimu_core.errors`, at the plugin boundary.

Applications catch one hierarchy whatever the provider. Every message goes
through :func:`aimu_core.errors.redact` so the API key can never leak, and the
SDK exception is chained only when its text held no secret.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Iterable
from typing import Any

import anthropic

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
    translate_sdk_error,
)

__all__ = ["translate"]

PROVIDER = "anthropic"
_CONTEXT = re.compile(
    r"prompt is too long|context (window|length|limit)|exceed(s)? context limit|too many tokens",
    re.IGNORECASE,
)
#: httpx/httpx2 exceptions raised while reading a response body (the SDK lets them through).
_CUT = {"RemoteProtocolError", "ReadError", "ProtocolError", "NetworkError", "StreamError"}
_TIMEOUT = {"TimeoutException", "ReadTimeout", "ConnectTimeout", "WriteTimeout", "PoolTimeout"}


def translate(
    exc: BaseException,
    *,
    secrets: Iterable[str | None],
    model: str,
    base_url: str,
    streaming: bool,
) -> BaseException:
    """The aimu error for *exc* (or *exc* itself when it is not the SDK's)."""
    secrets = list(secrets)
    return translate_sdk_error(
        exc,
        secrets,
        lambda error, text: _translate(
            error, text, secrets, model=model, base_url=base_url, streaming=streaming
        ),
    )


def _translate(
    exc: BaseException,
    text: str,
    secrets: list[str | None],
    *,
    model: str,
    base_url: str,
    streaming: bool,
) -> AimuError | None:
    if isinstance(exc, anthropic.APITimeoutError):
        return RequestTimeoutError(
            f"Anthropic did not answer in time ({text}); raise timeout= or retry later",
            provider=PROVIDER,
        )
    if isinstance(exc, anthropic.APIConnectionError):
        return ProviderConnectionError(
            f"Cannot reach the Anthropic API at {base_url}: {text}. Check the network or base_url=",
            provider=PROVIDER,
        )
    if isinstance(exc, anthropic.APIStatusError):
        return _status_error(exc, text, secrets, model=model)
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & _TIMEOUT:
        return RequestTimeoutError(f"Anthropic stopped answering ({text})", provider=PROVIDER)
    if names & _CUT and type(exc).__module__.startswith("httpx"):
        if streaming:
            return StreamInterruptedError(
                f"The Anthropic stream was cut off before the reply finished ({text})",
                provider=PROVIDER,
            )
        return ProviderConnectionError(
            f"The connection to Anthropic broke ({text})", provider=PROVIDER
        )
    credentials_error = getattr(anthropic, "CredentialsError", None)
    if (isinstance(exc, TypeError) and "authentication method" in text) or (
        credentials_error is not None and isinstance(exc, credentials_error)
    ):
        return AuthenticationError(
            f"No Anthropic credentials ({text}): set ANTHROPIC_API_KEY or pass api_key=",
            provider=PROVIDER,
        )
    return None


def _status_error(exc: Any, text: str, secrets: list[str | None], *, model: str) -> AimuError:
    status: int = exc.status_code
    kind, message = _error_body(exc.body)
    detail = redact(message, secrets) if message else text
    if status < 400:  # an `error` event inside a 200 stream, e.g. overloaded_error
        return StreamInterruptedError(
            f"The Anthropic stream was interrupted by {kind or 'an error'}: {detail}",
            provider=PROVIDER,
            status_code=status,
        )
    if status in (401, 403) or kind in ("authentication_error", "permission_error"):
        return AuthenticationError(
            f"Anthropic rejected the credentials ({detail}); check ANTHROPIC_API_KEY or api_key=",
            provider=PROVIDER,
            status_code=status,
        )
    if status == 404 or kind == "not_found_error":
        return ModelNotFoundError(
            f"Anthropic does not know model {model!r} ({detail}); run `aimu models` for the catalog"
        )
    if status == 429 or kind == "rate_limit_error":
        retry_after = _retry_after(exc.response.headers)
        hint = f"; retry after {retry_after:g} s" if retry_after is not None else ""
        return RateLimitError(
            f"Anthropic rate limit reached ({detail}){hint}",
            provider=PROVIDER,
            status_code=status,
            retry_after=retry_after,
        )
    if status in (400, 413) and _CONTEXT.search(detail):
        return ContextLengthError(
            f"The conversation no longer fits {model!r}'s context window ({detail}); "
            "reset() or shorten the history",
            provider=PROVIDER,
            status_code=status,
        )
    if status in (408, 504):
        return RequestTimeoutError(
            f"Anthropic timed out ({detail})", provider=PROVIDER, status_code=status
        )
    where = "server error" if status >= 500 else "request rejected"
    return ProviderError(
        f"Anthropic {where} (HTTP {status}{', ' + kind if kind else ''}): {detail}",
        provider=PROVIDER,
        status_code=status,
    )


def _error_body(body: Any) -> tuple[str | None, str | None]:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return error.get("type"), error.get("message")
    return None, None


def _retry_after(headers: Any) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    value = headers.get("retry-after-ms")
    if value:
        try:
            return float(value) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        return max(0.0, email.utils.mktime_tz(parsed) - time.time())
