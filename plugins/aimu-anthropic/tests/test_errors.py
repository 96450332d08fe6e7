"""Faults: every SDK failure becomes an aimu error, history is untouched, keys never leak."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
from aimu_anthropic.testing import FakeAnthropic, error_response

import aimu_core
from aimu_core import aio
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
from aimu_core.testing import Request, Response, Turn


def _history_kept(
    client: Any, api: FakeAnthropic, exc_type: type[Exception], *, stream: bool = False
) -> Exception:
    """Run one failing call after a good one; return the error after checking the history."""
    api.script([Turn("first")])
    client.chat("first")
    before = [dict(m) for m in client.messages]
    with pytest.raises(exc_type) as caught:
        if stream:
            list(client.chat("second", stream=True))
        else:
            client.chat("second")
    assert client.messages == before
    return caught.value


@pytest.mark.parametrize("stream", [False, True])
def test_server_error(api: FakeAnthropic, make: Any, stream: bool) -> None:
    client = make()
    api.script([Turn("first"), Turn(fail="server_error")])
    client.chat("first")
    with pytest.raises(ProviderError) as caught:
        list(client.chat("second", stream=True)) if stream else client.chat("second")
    assert caught.value.status_code == 500 and caught.value.provider == "anthropic"
    assert [m["role"] for m in client.messages] == ["user", "assistant"]


def test_rate_limit_carries_retry_after(api: FakeAnthropic, make: Any) -> None:
    client = make()
    api.script([Turn("first"), Turn(fail="rate_limit")])
    error = _history_kept(client, api, RateLimitError)
    assert error.retry_after == 7 and error.status_code == 429


def test_retry_after_ms_header(api: FakeAnthropic, make: Any) -> None:
    api.script(
        [
            Turn("first"),
            error_response(429, "rate_limit_error", "slow down", {"retry-after-ms": "1500"}),
        ]
    )
    error = _history_kept(make(), api, RateLimitError)
    assert error.retry_after == 1.5


def test_context_length(api: FakeAnthropic, make: Any) -> None:
    api.script([Turn("first"), Turn(fail="context_length")])
    error = _history_kept(make(), api, ContextLengthError)
    assert "prompt is too long" in str(error)


def test_model_not_found(api: FakeAnthropic, make: Any) -> None:
    api.script([Turn("first"), error_response(404, "not_found_error", "model: claude-nope")])
    error = _history_kept(make(), api, ModelNotFoundError)
    assert "claude-sonnet-4-6" in str(error)


def test_overloaded_is_a_provider_error(api: FakeAnthropic, make: Any) -> None:
    api.script([Turn("first"), error_response(529, "overloaded_error", "Overloaded")])
    error = _history_kept(make(), api, ProviderError)
    assert error.status_code == 529 and "overloaded_error" in str(error)


def test_stream_cut_mid_way(api: FakeAnthropic, make: Any) -> None:
    client = make()
    api.script([Turn("first"), Turn("a reply that is cut", fail="stream_cut")])
    error = _history_kept(client, api, StreamInterruptedError, stream=True)
    assert "cut off" in str(error)


def test_error_event_mid_stream(api: FakeAnthropic, make: Any) -> None:
    def overloaded(request: Request) -> Response:
        events = api.events(Turn("never finished"), request.json(), [])[:4]
        events.append(
            (
                "error",
                {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            )
        )
        return Response.sse(events)

    client = make("claude-haiku-4-5")
    api.script([Turn("first"), overloaded])
    client.chat("first")
    before = [dict(m) for m in client.messages]
    chunks = []
    with pytest.raises(StreamInterruptedError, match="overloaded_error") as caught:
        for chunk in client.chat("second", stream=True):
            chunks.append(chunk)
    assert chunks, "text before the error event is streamed as it arrives"
    assert caught.value.provider == "anthropic"
    assert client.messages == before


def test_stream_that_ends_before_message_stop(api: FakeAnthropic, make: Any) -> None:
    def short(request: Request) -> Response:
        return Response.sse(api.events(Turn("half a reply"), request.json(), [])[:-3])

    api.script([Turn("first"), short])
    _history_kept(make("claude-haiku-4-5"), api, StreamInterruptedError, stream=True)


@pytest.mark.parametrize("stream", [False, True])
def test_timeout(api: FakeAnthropic, make: Any, stream: bool) -> None:
    release = threading.Event()

    def slow(request: Request) -> Response:
        def stalled() -> Iterator[bytes]:
            release.wait(5)  # headers are out; the body never comes
            yield from ()

        # cut: the client has long hung up, so nothing more is written
        return Response(200, {"Content-Type": "text/event-stream"}, chunks=stalled(), cut=True)

    api.script([Turn("first"), slow])
    try:
        error = _history_kept(make(timeout=0.2), api, RequestTimeoutError, stream=stream)
    finally:
        release.set()
    assert error.provider == "anthropic"


def test_connection_refused(make: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = make(base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(ProviderConnectionError, match=f"127.0.0.1:{port}"):
        client.chat("anyone there?")
    assert client.messages == []


def test_retries_are_the_sdks(api: FakeAnthropic, make: Any) -> None:
    api.script(
        [error_response(500, "api_error", "flaky", {"retry-after-ms": "1"}), Turn("second try")]
    )
    assert make(max_retries=1).chat("hi") == "second try"
    assert len(api.requests) == 2


def test_authentication_error_never_shows_the_key(
    api: FakeAnthropic, make: Any, caplog: pytest.LogCaptureFixture, api_key: str
) -> None:
    caplog.set_level(logging.DEBUG)
    api.script(
        [
            Turn("first"),
            error_response(401, "authentication_error", f"invalid x-api-key: {api_key}"),
        ]
    )
    client = make()
    error = _history_kept(client, api, AuthenticationError)
    text = "".join(traceback.format_exception(error))
    assert "invalid x-api-key" in text and "***" in text
    assert api_key not in text
    assert error.__cause__ is None  # the SDK's message held the key: not chained
    assert api_key not in caplog.text
    assert api_key not in repr(client)


@pytest.mark.parametrize("config_dir", [False, True])
def test_missing_credentials(
    api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, config_dir: bool
) -> None:
    for name in (
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_AUTH_TOKEN",
        "ANTHROPIC_PROFILE",
        "ANTHROPIC_CONFIG_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    # no profile on disk either, wherever the SDK looks
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    if config_dir:
        monkeypatch.setenv("ANTHROPIC_CONFIG_DIR", str(tmp_path))
    client = aimu_core.client("anthropic:claude-haiku-4-5", base_url=api.url, max_retries=0)
    with pytest.raises(AuthenticationError, match="ANTHROPIC_API_KEY"):
        client.chat("hi")
    assert client.messages == [] and api.requests == []


def test_async_faults(api: FakeAnthropic, options: dict[str, Any]) -> None:
    async def run() -> None:
        client = aio.client("anthropic:claude-sonnet-4-6", **options)
        api.script([Turn("first"), Turn("cut", fail="stream_cut"), Turn(fail="rate_limit")])
        await client.chat("first")
        before = [dict(m) for m in client.messages]
        with pytest.raises(StreamInterruptedError):
            stream = await client.chat("second", stream=True)
            async for _ in stream:
                pass
        assert client.messages == before
        with pytest.raises(RateLimitError) as caught:
            await client.chat("third")
        assert caught.value.retry_after == 7
        assert client.messages == before

    asyncio.run(run())


@pytest.mark.parametrize(
    ("status", "kind", "expected"),
    [
        (403, "permission_error", AuthenticationError),
        (402, "billing_error", ProviderError),
        (400, "authentication_error", AuthenticationError),  # the type decides over the status
    ],
)
def test_the_error_type_names_the_failure(
    api: FakeAnthropic, make: Any, status: int, kind: str, expected: type[Exception]
) -> None:
    api.script([error_response(status, kind, "no")])
    with pytest.raises(expected, match=kind) as caught:
        make().chat("hi")
    assert type(caught.value) is expected


def test_a_reply_that_is_not_json(api: FakeAnthropic, make: Any) -> None:
    api.script([Response(200, {"Content-Type": "application/json"}, b"<html>a login page</html>")])
    with pytest.raises(ProviderError, match="not an answer of its API"):
        make().chat("hi")


@pytest.mark.parametrize("stream", [False, True])
def test_a_cut_body_is_a_broken_connection_not_an_unreachable_server(
    api: FakeAnthropic, make: Any, stream: bool
) -> None:
    api.script([Turn("first"), Turn("cut here", fail="stream_cut")])
    error = _history_kept(
        make(), api, StreamInterruptedError if stream else ProviderConnectionError, stream=stream
    )
    assert "Could not reach" not in str(error)
    assert "before" in str(error)


@pytest.mark.parametrize(
    "event",
    [
        b'event: message_start\ndata: {"type": "message_start"}\n\n',  # no message
        b'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0}\n\n',
    ],
)
def test_events_of_another_shape_are_an_invalid_reply(
    api: FakeAnthropic, make: Any, event: bytes
) -> None:
    api.script(
        [Turn("first"), Response(200, {"Content-Type": "text/event-stream"}, chunks=[event])]
    )
    error = _history_kept(make(), api, ProviderError, stream=True)
    assert type(error) is ProviderError and "not a reply of the Messages API" in str(error)
