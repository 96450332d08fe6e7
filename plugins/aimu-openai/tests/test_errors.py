"""Faults from the server (or the network) become aimu_core.errors, and history is left as it was.

Each fault runs through the sync and the async client, streamed and not,
with the real SDK (``max_retries=0``) against the loopback wire server.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from aimu_openai.testing import OpenAIWireServer, chunk, error, sse

import aimu_core
from aimu_core import aio
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
)
from aimu_core.testing import Request, Response, Turn

KEY = "sk-live-SECRET-0123456789"


@pytest.fixture(params=["sync", "async"])
def flavor(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=[False, True], ids=["json", "stream"])
def stream(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def _fail_after_first_turn(
    flavor: str, stream: bool, model: str, fault: Any, wire: OpenAIWireServer, **options: Any
) -> tuple[AimuError, list[dict[str, Any]], list[dict[str, Any]]]:
    """Chat once (ok), then once more into *fault*; return the error and history before/after."""
    options = {"api_key": KEY, "max_retries": 0, **options}
    wire.script([Turn("first answer")])
    if isinstance(fault, str):
        wire.script([Turn("partial answer", fail=fault)])
    elif fault is not None:
        wire.reply(fault)

    if flavor == "sync":
        client = aimu_core.client(model, system="sys", **options)
        client.chat("first")
        before = [dict(m) for m in client.messages]
        with pytest.raises(AimuError) as caught:
            result = client.chat("second", stream=stream)
            if stream:
                list(result)
        return caught.value, before, client.messages

    async def run() -> tuple[AimuError, list[dict[str, Any]], list[dict[str, Any]]]:
        client = aio.client(model, system="sys", **options)
        await client.chat("first")
        before = [dict(m) for m in client.messages]
        with pytest.raises(AimuError) as caught:
            result = await client.chat("second", stream=stream)
            if stream:
                [c async for c in result]
        return caught.value, before, client.messages

    return asyncio.run(run())


def fail(
    flavor: str,
    stream: bool,
    wire: OpenAIWireServer,
    fault: Any,
    *,
    model: str | None = None,
    **options: Any,
) -> AimuError:
    exc, before, after = _fail_after_first_turn(
        flavor, stream, model or "openai:gpt-4o", fault, wire, base_url=wire.url, **options
    )
    assert after == before, "a failed call must leave messages as they were"
    assert KEY not in str(exc)
    return exc


def test_rate_limit_with_retry_after(flavor: str, stream: bool, wire: OpenAIWireServer) -> None:
    exc = fail(flavor, stream, wire, "rate_limit")
    assert isinstance(exc, RateLimitError)
    assert exc.retry_after == 7.0
    assert exc.status_code == 429 and exc.provider == "openai"
    assert "retry after 7 s" in str(exc)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"retry-after-ms": "250"}, 0.25), ({"retry-after": "bogus"}, None), ({}, None)],
)
def test_rate_limit_retry_after_variants(
    wire: OpenAIWireServer, headers: dict[str, str], expected: float | None
) -> None:
    exc = fail("sync", False, wire, error(429, "slow down", headers=headers))
    assert isinstance(exc, RateLimitError) and exc.retry_after == expected


def test_rate_limit_retry_after_as_http_date(wire: OpenAIWireServer) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    exc = fail("sync", False, wire, error(429, "slow down", headers={"retry-after": when}))
    assert isinstance(exc, RateLimitError)
    assert exc.retry_after is not None and 0 < exc.retry_after <= 120


def test_authentication_error_names_the_env_var_and_hides_the_key(
    flavor: str, stream: bool, wire: OpenAIWireServer
) -> None:
    # Some servers echo the key they rejected: it must not reach the error.
    exc = fail(
        flavor,
        stream,
        wire,
        error(401, f"Incorrect API key provided: {KEY}", code="invalid_api_key"),
    )
    assert isinstance(exc, AuthenticationError)
    assert exc.status_code == 401
    assert "OPENAI_API_KEY" in str(exc) and "***" in str(exc)
    assert exc.__cause__ is None and exc.__suppress_context__


def test_sdk_exception_is_chained_only_when_the_client_knows_no_secret(
    wire: OpenAIWireServer,
) -> None:
    import openai

    # With a key, the SDK exception is dropped (its request keeps the Authorization header)
    # and its type named instead.
    exc = fail("sync", False, wire, error(401, "invalid key"))
    assert isinstance(exc, AuthenticationError)
    assert exc.__cause__ is None and exc.__context__ is None
    assert str(exc).endswith("[openai.AuthenticationError]")
    # A local server without a key: nothing to hide, the cause is kept for debugging.
    wire.reply(error(500, "boom"))
    client = aimu_core.client(f"openai-compat:m@{wire.url}", max_retries=0)
    with pytest.raises(ProviderError) as caught:
        client.chat("hi")
    assert isinstance(caught.value.__cause__, openai.InternalServerError)


def test_permission_denied_is_an_authentication_error(wire: OpenAIWireServer) -> None:
    exc = fail("sync", False, wire, error(403, "project has no access"))
    assert isinstance(exc, AuthenticationError) and exc.status_code == 403


def test_model_not_found(flavor: str, stream: bool, wire: OpenAIWireServer) -> None:
    exc = fail(
        flavor,
        stream,
        wire,
        error(404, "The model `gpt-4o` does not exist", code="model_not_found"),
    )
    assert isinstance(exc, ModelNotFoundError)
    assert "gpt-4o" in str(exc)


def test_server_error(flavor: str, stream: bool, wire: OpenAIWireServer) -> None:
    exc = fail(flavor, stream, wire, "server_error")
    assert type(exc) is ProviderError
    assert exc.status_code == 500 and "server error" in str(exc)


@pytest.mark.parametrize(
    "fault",
    [
        error(
            400,
            "This model's maximum context length is 128000 tokens.",
            code="context_length_exceeded",
        ),
        # llama.cpp's server, without OpenAI's code
        error(400, "the request exceeds the available context size, try increasing it"),
        # Gemini's wording
        error(
            400,
            "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
        ),
    ],
    ids=["openai", "llama.cpp", "gemini"],
)
def test_context_length(flavor: str, wire: OpenAIWireServer, fault: Response) -> None:
    exc = fail(flavor, False, wire, fault)
    assert isinstance(exc, ContextLengthError) and exc.status_code == 400


def test_other_bad_request_is_a_plain_provider_error(wire: OpenAIWireServer) -> None:
    exc = fail(
        "sync", False, wire, error(400, "Invalid value for 'temperature'", code="invalid_value")
    )
    assert type(exc) is ProviderError and exc.status_code == 400


def test_stream_cut_mid_way(flavor: str, wire: OpenAIWireServer) -> None:
    exc = fail(flavor, True, wire, "stream_cut")
    assert isinstance(exc, StreamInterruptedError)


def test_stream_ending_without_finish_reason_is_interrupted(
    flavor: str, wire: OpenAIWireServer
) -> None:
    # A clean end of the HTTP body, but neither a finish reason nor [DONE].
    exc = fail(flavor, True, wire, sse([chunk({"content": "half an ans"})], done=False))
    assert isinstance(exc, StreamInterruptedError)


def test_error_event_in_the_middle_of_a_stream(flavor: str, wire: OpenAIWireServer) -> None:
    fault = sse(
        [
            chunk({"content": "so far"}),
            {"error": {"message": "model crashed", "type": "server_error"}},
        ]
    )
    exc = fail(flavor, True, wire, fault)
    assert isinstance(exc, StreamInterruptedError) and "model crashed" in str(exc)


def test_cut_json_body_is_a_connection_error(wire: OpenAIWireServer) -> None:
    exc = fail("sync", False, wire, "stream_cut")
    assert isinstance(exc, ProviderConnectionError)
    # The server was reached: the message says the reply broke, not that nothing answered.
    assert "Could not reach" not in str(exc) and "before the reply was complete" in str(exc)


def test_connection_refused(flavor: str, stream: bool, closed_url: str) -> None:
    model = f"openai-compat:m@{closed_url}"
    client = (aimu_core.client if flavor == "sync" else aio.client)(model, max_retries=0)

    async def call_async() -> None:
        result = await client.chat("hi", stream=stream)
        if stream:
            [c async for c in result]

    with pytest.raises(ProviderConnectionError, match="Could not reach openai-compat") as caught:
        if flavor == "sync":
            result = client.chat("hi", stream=stream)
            if stream:
                list(result)
        else:
            asyncio.run(call_async())
    assert closed_url in str(caught.value)
    assert isinstance(caught.value, ConnectionError)
    assert client.messages == []


def _slow(seconds: float) -> Any:
    def handler(request: Request) -> Response:
        time.sleep(seconds)
        return error(500, "too late")

    return handler


def _slow_stream(seconds: float) -> Response:
    def chunks() -> Iterator[bytes]:
        yield b'data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\n'
        time.sleep(seconds)
        yield b"data: [DONE]\n\n"

    return Response(200, {"Content-Type": "text/event-stream"}, chunks=chunks())


def test_timeout_before_the_answer(flavor: str, stream: bool, wire: OpenAIWireServer) -> None:
    exc = fail(flavor, stream, wire, _slow(2.0), timeout=0.5)
    assert isinstance(exc, RequestTimeoutError) and isinstance(exc, TimeoutError)
    assert "0.5" in str(exc)


def test_timeout_in_the_middle_of_a_stream(flavor: str, wire: OpenAIWireServer) -> None:
    exc = fail(flavor, True, wire, _slow_stream(2.0), timeout=0.5)
    assert isinstance(exc, RequestTimeoutError)


def test_sdk_retries_with_max_retries(wire: OpenAIWireServer) -> None:
    # retry-after-ms keeps the SDK's back-off short
    quick = {"retry-after-ms": "1"}
    wire.reply(error(500, "flaky", headers=quick), error(503, "flaky", headers=quick))
    wire.script([Turn("third time lucky")])
    client = aimu_core.client(f"openai-compat:m@{wire.url}", max_retries=2)
    assert client.chat("hi") == "third time lucky"
    assert len(wire.requests) == 3


def test_key_never_in_repr_logs_or_errors(
    wire: OpenAIWireServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = aimu_core.client("openai:gpt-4o", api_key=KEY, base_url=wire.url, max_retries=0)
    wire.script([Turn("fine")])
    client.chat("hello")
    list(client.chat("again", stream=True))
    wire.reply(error(401, f"bad key {KEY}"))
    with pytest.raises(AuthenticationError) as caught:
        client.chat("third")
    assert wire.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in repr(client) and KEY not in repr(client.client)
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)
    assert KEY not in caplog.text
    assert "SecretStr" in repr(client.client._api_key)


@pytest.mark.parametrize(
    "fault",
    [
        Response(200, {"Content-Type": "text/html"}, b"<html>a web page</html>"),
        Response(200, {"Content-Type": "application/json"}, b"{not json"),
        Response.json({"not": "a completion"}),
    ],
    ids=["html", "bad-json", "other-json"],
)
def test_an_answer_that_is_not_a_chat_completion(
    flavor: str, stream: bool, wire: OpenAIWireServer, fault: Response
) -> None:
    exc = fail(flavor, stream, wire, fault)
    assert type(exc) is ProviderError
    assert "not a Chat Completions response" in str(exc)
