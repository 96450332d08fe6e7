"""The HTTP failure mapping network providers share (``aimu_core.http_errors``)."""

from __future__ import annotations

import email.utils
import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from aimu_core.errors import (
    AuthenticationError,
    ContextLengthError,
    ModelNotFoundError,
    ProviderConnectionError,
    ProviderError,
    RateLimitError,
    RequestTimeoutError,
    StreamInterruptedError,
)
from aimu_core.http_errors import (
    ErrorContext,
    retry_after,
    status_error,
    stream_error,
    transport_error,
)

KEY = "sk-test-0123456789"
CTX = ErrorContext(
    "myprov",
    "big-model",
    "http://127.0.0.1:9/v1",
    name="MyProv",
    key_envs=("MYPROV_API_KEY",),
    secrets=(SecretStr(KEY),),
    hints={404: "Pull it first: myprov pull {model}."},
)


@pytest.mark.parametrize(
    ("status", "message", "code", "kind"),
    [
        (401, "bad key", None, AuthenticationError),
        (403, "forbidden", None, AuthenticationError),
        (404, "no such model", None, ModelNotFoundError),
        (429, "slow down", None, RateLimitError),
        (400, "maximum context length is 8192 tokens", None, ContextLengthError),
        (400, "whatever", "context_length_exceeded", ContextLengthError),
        (413, "prompt is too long", None, ContextLengthError),
        (408, "took too long", None, RequestTimeoutError),
        (504, "gateway timeout", None, RequestTimeoutError),
        (500, "boom", None, ProviderError),
        (422, "bad field", None, ProviderError),
    ],
)
def test_each_status_becomes_its_error(
    status: int, message: str, code: str | None, kind: type[ProviderError]
) -> None:
    error = status_error(CTX, status, message, code=code)
    assert type(error) is kind
    assert message in str(error)
    if status != 404:
        assert error.provider == "myprov"


def test_messages_name_the_fix_and_never_the_key() -> None:
    auth = status_error(CTX, 401, f"invalid key {KEY}")
    assert KEY not in str(auth) and "***" in str(auth)
    assert "MYPROV_API_KEY" in str(auth) and "MyProv at http://127.0.0.1:9/v1" in str(auth)
    missing = status_error(CTX, 404, "unknown")
    assert "Pull it first: myprov pull big-model." in str(missing)
    assert "'big-model'" in str(missing)


def test_rate_limit_reads_retry_after() -> None:
    error = status_error(CTX, 429, "slow", headers={"retry-after": "7"})
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 7.0 and "retry after 7 s" in str(error)
    assert status_error(CTX, 429, "slow").retry_after is None


def test_retry_after_forms() -> None:
    assert retry_after({"retry-after-ms": "1500"}) == 1.5
    assert retry_after({"retry-after-ms": "junk", "retry-after": "2"}) == 2.0
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (retry_after({"retry-after": future}) or 0) <= 30
    assert retry_after({"retry-after": "-5"}) == 0.0
    assert retry_after({"retry-after": "not a date"}) is None
    assert (
        retry_after({"retry-after": "NaN"}) is None and retry_after({"retry-after": "inf"}) is None
    )
    assert retry_after({"retry-after-ms": "nan", "retry-after": "3"}) == 3.0
    assert retry_after(None) is None and retry_after({}) is None


@given(st.dictionaries(st.sampled_from(["retry-after", "retry-after-ms", "x"]), st.text()))
def test_retry_after_never_raises_and_is_never_negative(headers: dict[str, str]) -> None:
    wait = retry_after(headers)
    assert wait is None or 0 <= wait < float("inf")


def test_stream_error_tells_context_overflow_from_a_cut() -> None:
    assert isinstance(stream_error(CTX, "context window exceeded"), ContextLengthError)
    cut = stream_error(CTX, "model crashed")
    assert isinstance(cut, StreamInterruptedError) and "model crashed" in str(cut)


class _Named(Exception):
    """An exception raised from a module named like the HTTP library's."""


def _httpx_like(name: str, message: str = "boom") -> Exception:
    # transport_error recognises httpx's exceptions by class name and module,
    # so it need not import httpx; build classes the way httpx names them.
    cls = type(name, (Exception,), {"__module__": "httpx"})
    return cls(message)


@pytest.mark.parametrize(
    ("name", "streaming", "kind"),
    [
        ("ReadTimeout", False, RequestTimeoutError),
        ("ConnectTimeout", True, RequestTimeoutError),
        ("ConnectError", False, ProviderConnectionError),
        ("RemoteProtocolError", True, StreamInterruptedError),
        ("ReadError", False, ProviderConnectionError),
    ],
)
def test_transport_errors(name: str, streaming: bool, kind: type[Exception]) -> None:
    error = transport_error(CTX, _httpx_like(name), streaming=streaming, timeout=3)
    assert type(error) is kind


def test_a_cut_whole_body_is_not_called_unreachable() -> None:
    error = transport_error(CTX, _httpx_like("RemoteProtocolError"), streaming=False)
    assert error is not None and "broke before the reply was complete" in str(error)
    assert "Could not reach" not in str(error)


def test_bad_json_and_foreign_exceptions() -> None:
    try:
        json.loads("<html>")
    except json.JSONDecodeError as exc:
        error = transport_error(CTX, exc, streaming=False)
    assert isinstance(error, ProviderError) and "invalid JSON" in str(error)
    assert transport_error(CTX, KeyError("x"), streaming=False) is None
    assert transport_error(CTX, _Named("ReadTimeout"), streaming=False) is None


def test_error_context_never_shows_its_secrets() -> None:
    assert KEY not in repr(CTX) and KEY not in str(vars(CTX))
