"""``google-genai`` exceptions and refusals -> aimu errors.

The SDK raises ``google.genai.errors.APIError`` (``ClientError`` for 4xx,
``ServerError`` for 5xx) carrying Google's error body, lets its HTTP layer's
timeouts and refused connections through (httpx2, matched by
:func:`~aimu_core.provider.transport_error`), and a ``ValueError`` when it finds
no API key. What is Google's own is here: the error body's ``status`` and
``details`` (``RetryInfo.retryDelay`` says how long to wait on a 429,
``ErrorInfo.reason`` ``API_KEY_INVALID`` is a bad key even though it comes as a
400), and how a safety refusal looks: a 400 whose message cites the safety or
Responsible AI policy, a 200 whose ``promptFeedback.blockReason`` is set, a
candidate that finished for a safety reason, or Imagen's ``raiFilteredReason``.
Each becomes :class:`~aimu_core.errors.ContentBlockedError`.
"""

from __future__ import annotations

import re
from typing import Any

from google.genai import errors as genai_errors

from aimu_core.provider import (
    AimuError,
    AuthenticationError,
    ContentBlockedError,
    ErrorContext,
    status_error,
    transport_error,
)

__all__ = ["blocked", "gemini_error", "retry_delay"]

_SAFETY_WORDING = re.compile(
    r"safety|responsible ai|sensitive words|prohibited|blocked|harm", re.IGNORECASE
)
#: ``finishReason`` values that mean the output was withheld for policy reasons.
BLOCKING_FINISH = frozenset(
    {
        "SAFETY",
        "IMAGE_SAFETY",
        "PROHIBITED_CONTENT",
        "IMAGE_PROHIBITED_CONTENT",
        "BLOCKLIST",
        "SPII",
        "RECITATION",
        "IMAGE_RECITATION",
    }
)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def gemini_error(
    ctx: ErrorContext, exc: BaseException, text: str, *, timeout: object
) -> AimuError | None:
    """What *exc* means as an aimu error; ``None`` when it did not come from the SDK.

    With *ctx* and *timeout* bound, this is the ``translate`` of
    :func:`~aimu_core.provider.translate_sdk_error`: *text* is ``str(exc)``, secrets redacted.
    """
    if isinstance(exc, genai_errors.APIError):
        body = exc.details if isinstance(exc.details, dict) else {}
        error = body.get("error", body) if isinstance(body.get("error", body), dict) else {}
        status = str(exc.status or error.get("status") or "")
        message = ctx.clean(exc.message or error.get("message") or text).rstrip(". ")
        found = error.get("details")
        details: list[Any] = found if isinstance(found, list) else []
        code = int(exc.code or 0)
        if code == 400 and _SAFETY_WORDING.search(message):
            return blocked(ctx, f"({code} {status}): {message}", status_code=code, reason=status)
        if code == 400 and _reason(details) == "API_KEY_INVALID":
            code = 401  # Google answers a bad key with 400 INVALID_ARGUMENT
        headers: dict[str, str] = {}
        response = getattr(exc, "response", None)
        for name in ("retry-after", "retry-after-ms"):
            value = _header(response, name)
            if value:
                headers[name] = value
        delay = retry_delay(details)
        if delay is not None and "retry-after" not in headers:
            headers["retry-after"] = str(delay)
        detail = f"{status}: {message}" if status else message
        return status_error(ctx, code, detail, code=status, headers=headers)
    if isinstance(exc, ValueError) and "API key" in text:  # the SDK found no key
        return AuthenticationError(
            f"No Gemini API key ({text}). Fix: set GEMINI_API_KEY (or GOOGLE_API_KEY) or pass "
            "api_key=.",
            provider=ctx.provider,
        )
    return transport_error(ctx, exc, streaming=False, timeout=timeout)


def blocked(
    ctx: ErrorContext, detail: str, *, status_code: int | None = None, reason: str | None = None
) -> ContentBlockedError:
    """The prompt (or its image) was refused under Google's safety policy."""
    return ContentBlockedError(
        f"{ctx.where} refused to generate the image under its safety policy {ctx.clean(detail)}. "
        "Reword the prompt; sending it again unchanged will not help.",
        provider=ctx.provider,
        status_code=status_code,
        reason=reason or None,
    )


def retry_delay(details: list[Any]) -> float | None:
    """Seconds from a ``google.rpc.RetryInfo`` detail (``"retryDelay": "7s"``), if any."""
    for detail in details:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            match = _DURATION.match(str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None


def _reason(details: list[Any]) -> str:
    for detail in details:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("ErrorInfo"):
            return str(detail.get("reason", ""))
    return ""


def _header(response: Any, name: str) -> str | None:
    headers = getattr(response, "headers", None)
    try:
        return headers.get(name) if headers is not None else None
    except Exception:  # a response object of another shape: no header to read
        return None
