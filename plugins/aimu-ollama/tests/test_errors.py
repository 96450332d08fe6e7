"""Faults: every SDK failure becomes an aimu error, history is untouched, keys never leak."""

from __future__ import annotations

import asyncio
import socket
import threading
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
from aimu_ollama.testing import FakeOllama

from aimu_core import aio
from aimu_core.errors import (
    AuthenticationError,
    ConfigurationError,
    ContextLengthError,
    ModelNotFoundError,
    ProviderConnectionError,
    ProviderError,
    RateLimitError,
    RequestTimeoutError,
    StreamInterruptedError,
)
from aimu_core.testing import Request, Response, Turn


def _fails(
    client: Any, server: FakeOllama, failure: Any, exc_type: type[Exception], *, stream: bool
) -> Exception:
    """One good call, then one that fails: return the error after checking the history."""
    server.script([Turn("first"), failure])
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
@pytest.mark.parametrize(
    ("fail", "exc_type", "status"),
    [
        ("server_error", ProviderError, 500),
        ("rate_limit", RateLimitError, 429),
        ("authentication", AuthenticationError, 401),
        ("context_length", ContextLengthError, 400),
    ],
)
def test_scripted_http_failures(
    server: FakeOllama, make: Any, fail: str, exc_type: type[Exception], status: int, stream: bool
) -> None:
    error = _fails(make(), server, Turn(fail=fail), exc_type, stream=stream)
    assert error.status_code == status and error.provider == "ollama"


def test_stream_cut_mid_way(server: FakeOllama, make: Any) -> None:
    error = _fails(
        make(), server, Turn("cut short", fail="stream_cut"), StreamInterruptedError, stream=True
    )
    assert "cut off" in str(error)


def test_error_line_mid_stream(server: FakeOllama, make: Any) -> None:
    broken = Response.ndjson(
        [
            {
                "model": "m",
                "created_at": "x",
                "message": {"role": "assistant", "content": "par"},
                "done": False,
            },
            {"error": "llama runner process has terminated"},
        ]
    )
    error = _fails(make(), server, broken, StreamInterruptedError, stream=True)
    assert "llama runner process has terminated" in str(error)


def test_stream_that_ends_without_done(server: FakeOllama, make: Any) -> None:
    short = Response.ndjson(
        [
            {
                "model": "m",
                "created_at": "x",
                "message": {"role": "assistant", "content": "half"},
                "done": False,
            }
        ]
    )
    _fails(make(), server, short, StreamInterruptedError, stream=True)


@pytest.mark.parametrize("stream", [False, True])
def test_model_not_found(server: FakeOllama, make: Any, stream: bool) -> None:
    server.reset(models={"qwen3:8b": {"tools", "thinking"}})
    client = make("llama3.2")
    with pytest.raises(ModelNotFoundError, match="ollama pull llama3.2"):
        list(client.chat("hi", stream=True)) if stream else client.chat("hi")
    assert client.messages == []


def test_missing_capability_is_a_configuration_error(server: FakeOllama, make: Any) -> None:
    server.reset(models={"mini:latest": {"vision"}})
    client = make("mini;thinking")
    with pytest.raises(ConfigurationError, match="does not support thinking"):
        client.chat("hi")
    assert client.messages == []


@pytest.mark.parametrize("stream", [False, True])
def test_connection_refused(make: Any, stream: bool) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = make(base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(ProviderConnectionError, match="ollama serve"):
        list(client.chat("hi", stream=True)) if stream else client.chat("hi")
    assert client.messages == []


@pytest.mark.parametrize("stream", [False, True])
def test_timeout(server: FakeOllama, make: Any, stream: bool) -> None:
    release = threading.Event()

    def slow(request: Request) -> Response:
        def stalled() -> Iterator[bytes]:
            release.wait(5)  # headers are out; the body never comes
            yield from ()

        # cut: the client has long hung up, so nothing more is written
        return Response(200, {"Content-Type": "application/x-ndjson"}, chunks=stalled(), cut=True)

    try:
        _fails(make(timeout=0.2), server, slow, RequestTimeoutError, stream=stream)
    finally:
        release.set()


def test_key_never_in_errors(server: FakeOllama, make: Any) -> None:
    key = "ollama-secret-key-123456"
    echo = Response.json({"error": f"unauthorized: bad token {key}"}, 401)
    error = _fails(make(api_key=key), server, echo, AuthenticationError, stream=False)
    text = "".join(traceback.format_exception(error))
    assert "***" in text and key not in text
    assert error.__cause__ is None


def test_async_faults(server: FakeOllama, options: dict[str, Any]) -> None:
    async def run() -> None:
        client = aio.client("ollama:qwen3:8b", **options)
        server.script([Turn("first"), Turn("cut", fail="stream_cut"), Turn(fail="server_error")])
        await client.chat("first")
        before = [dict(m) for m in client.messages]
        with pytest.raises(StreamInterruptedError):
            stream = await client.chat("second", stream=True)
            async for _ in stream:
                pass
        assert client.messages == before
        with pytest.raises(ProviderError):
            await client.chat("third")
        assert client.messages == before

    asyncio.run(run())


def test_a_whole_reply_that_is_not_done_is_refused(server: FakeOllama, make: Any) -> None:
    unfinished = {
        "model": "qwen3:8b",
        "created_at": "2025-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": "half an ans"},
        "done": False,
    }
    error = _fails(make(), server, Response.json(unfinished), ProviderError, stream=False)
    assert type(error) is ProviderError and "done=false" in str(error)
