"""Every secret the client knows stays out of str, repr, tracebacks, logs and exception chains.

Through the real SDK against the loopback fake: a 401 whose body echoes the
key, a base URL with ``user:password@``, and the token the SDK reads from the
environment by itself; sync and async, streamed and not.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest
from aimu_anthropic.testing import FakeAnthropic, error_response

import aimu_core
from aimu_core import aio
from aimu_core.errors import AuthenticationError, ProviderConnectionError
from aimu_core.testing.secrets import assert_client_hides, assert_error_hides, chat_error

KEY = "sk-ant-live-SECRET-0123456789"
PASSWORD = "hunter2-PASSWORD"
TOKEN = "ant-auth-token-FROM-ENV-99"


@pytest.fixture(autouse=True)
def _debug_logs(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def _maker(flavor: str) -> Any:
    return aimu_core.client if flavor == "sync" else aio.client


@pytest.mark.parametrize("flavor", ["sync", "async"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_401_echoing_the_key(
    api: FakeAnthropic, caplog: pytest.LogCaptureFixture, flavor: str, stream: bool
) -> None:
    client = _maker(flavor)(
        "anthropic:claude-sonnet-4-6", api_key=KEY, base_url=api.url, max_retries=0
    )
    api.script([error_response(401, "authentication_error", f"invalid x-api-key {KEY}")])
    exc = chat_error(flavor, client, stream)
    assert isinstance(exc, AuthenticationError) and "***" in str(exc)
    assert KEY in api.headers[-1].values() or f"Bearer {KEY}" in api.headers[-1].values()
    assert_error_hides(exc, caplog.text, KEY)
    assert_client_hides(client, KEY)


@pytest.mark.parametrize("flavor", ["sync", "async"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_user_password_url(
    api: FakeAnthropic, caplog: pytest.LogCaptureFixture, flavor: str, stream: bool
) -> None:
    url = api.url.replace("http://", f"http://alice:{PASSWORD}@")
    client = _maker(flavor)("anthropic:claude-sonnet-4-6", api_key=KEY, base_url=url, max_retries=0)
    assert "http://***@127.0.0.1" in repr(client.base_url)
    api.script([error_response(401, "authentication_error", f"bad password {PASSWORD} at {url}")])
    exc = chat_error(flavor, client, stream)
    assert isinstance(exc, AuthenticationError)
    token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    assert api.headers[-1]["authorization"] == f"Basic {token}"
    assert_error_hides(exc, caplog.text, PASSWORD, KEY)
    assert_client_hides(client, PASSWORD, KEY)


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_a_user_password_url_that_does_not_answer(
    caplog: pytest.LogCaptureFixture, flavor: str
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://alice:{PASSWORD}@127.0.0.1:{port}"
    client = _maker(flavor)("anthropic:claude-sonnet-4-6", api_key=KEY, base_url=url, max_retries=0)
    exc = chat_error(flavor, client, False)
    assert isinstance(exc, ProviderConnectionError) and "http://***@127.0.0.1" in str(exc)
    assert_error_hides(exc, caplog.text, PASSWORD, KEY)


def test_the_auth_token_the_sdk_reads_from_the_environment_is_redacted(
    api: FakeAnthropic, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", TOKEN)
    client = aimu_core.client("anthropic:claude-sonnet-4-6", base_url=api.url, max_retries=0)
    api.script([error_response(401, "authentication_error", f"token {TOKEN} expired")])
    exc = chat_error("sync", client, False)
    assert api.headers[-1]["authorization"] == f"Bearer {TOKEN}"
    assert isinstance(exc, AuthenticationError)
    assert_error_hides(exc, caplog.text, TOKEN)
    assert_client_hides(client, TOKEN)
