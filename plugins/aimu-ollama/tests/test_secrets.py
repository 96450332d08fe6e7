"""Every secret the client knows stays out of str, repr, tracebacks, logs and exception chains.

Through the real SDK against the loopback fake: a 401 whose body echoes the
key, ``OLLAMA_API_KEY`` (which the SDK would read by itself), and a base URL
with ``user:password@``; sync and async, streamed and not.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest
from aimu_ollama.testing import FakeOllama

import aimu_core
from aimu_core import aio
from aimu_core.errors import (
    AuthenticationError,
    ConfigurationError,
    ProviderConnectionError,
)
from aimu_core.testing import Response
from aimu_core.testing.secrets import assert_client_hides, assert_error_hides, chat_error

KEY = "ollama-SECRET-key-0123456789"
PASSWORD = "hunter2-PASSWORD"


@pytest.fixture(autouse=True)
def _debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


def _maker(flavor: str) -> Any:
    return aimu_core.client if flavor == "sync" else aio.client


def _echo(secret: str) -> Response:
    return Response.json({"error": f"unauthorized: bad credentials {secret}"}, 401)


@pytest.mark.parametrize("flavor", ["sync", "async"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("source", ["argument", "environment"])
def test_a_401_echoing_the_key(
    server: FakeOllama,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    flavor: str,
    stream: bool,
    source: str,
) -> None:
    if source == "environment":
        monkeypatch.setenv("OLLAMA_API_KEY", KEY)
        options: dict[str, Any] = {}
    else:
        options = {"api_key": KEY}
    client = _maker(flavor)("ollama:qwen3:8b", base_url=server.url, **options)
    server.script([_echo(KEY)])
    exc = chat_error(flavor, client, stream)
    assert isinstance(exc, AuthenticationError) and "***" in str(exc)
    assert server.headers[-1]["authorization"] == f"Bearer {KEY}"
    assert_error_hides(exc, caplog.text, KEY)
    assert_client_hides(client, KEY)


@pytest.mark.parametrize("flavor", ["sync", "async"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_user_password_url(
    server: FakeOllama, caplog: pytest.LogCaptureFixture, flavor: str, stream: bool
) -> None:
    url = server.url.replace("http://", f"http://alice:{PASSWORD}@")
    client = _maker(flavor)(f"ollama:qwen3:8b@{url}")
    assert PASSWORD not in repr(client) and "***@127.0.0.1" in repr(client)
    server.script([_echo(PASSWORD)])
    exc = chat_error(flavor, client, stream)
    assert isinstance(exc, AuthenticationError)
    token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    assert server.headers[-1]["authorization"] == f"Basic {token}"
    assert_error_hides(exc, caplog.text, PASSWORD)
    assert_client_hides(client, PASSWORD)


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_a_user_password_url_that_does_not_answer(
    caplog: pytest.LogCaptureFixture, flavor: str
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://alice:{PASSWORD}@127.0.0.1:{port}"
    client = _maker(flavor)("ollama:qwen3:8b", base_url=url, api_key=KEY)
    exc = chat_error(flavor, client, False)
    assert isinstance(exc, ProviderConnectionError)
    assert_error_hides(exc, caplog.text, PASSWORD, KEY)


@pytest.mark.parametrize(
    "host",
    ["http://h:99999", "h:abc", "http://[::1", f"http://alice:{PASSWORD}@h:70000", "ftp://h"],
)
def test_a_junk_ollama_host_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", host)
    with pytest.raises(ConfigurationError, match="OLLAMA_HOST") as caught:
        aimu_core.client("ollama:qwen3:8b")
    assert_error_hides(caught.value, "", PASSWORD)


def test_aimu_chat_with_a_junk_ollama_host_prints_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from aimu_core.cli import main

    monkeypatch.setenv("OLLAMA_HOST", f"http://alice:{PASSWORD}@h:99999")
    assert main(["chat", "-m", "ollama:qwen3:8b", "hi"]) == 1
    out, err = capsys.readouterr()
    (line,) = err.splitlines()
    assert out == "" and line.startswith("error: Ollama's address 'http://***@h:99999'")
    assert PASSWORD not in err
