"""Every secret the client knows stays out of str, repr, tracebacks, logs and exception chains.

Through the real SDK against the loopback wire server: a 401 whose body echoes
the key, and a base URL with ``user:password@``, sync and async, streamed and not.
"""

from __future__ import annotations

import base64
import logging

import pytest
from aimu_openai.testing import OpenAIWireServer, error

import aimu_core
from aimu_core import aio
from aimu_core.errors import AuthenticationError, ProviderConnectionError
from aimu_core.testing.secrets import assert_client_hides, assert_error_hides, chat_error

KEY = "sk-live-SECRET-0123456789"
PASSWORD = "hunter2-PASSWORD"
HEADER_TOKEN = "tok-HEADER-SECRET-42"


@pytest.fixture(autouse=True)
def _debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


@pytest.mark.parametrize("flavor", ["sync", "async"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_401_echoing_the_key(
    wire: OpenAIWireServer, caplog: pytest.LogCaptureFixture, flavor: str, stream: bool
) -> None:
    make = aimu_core.client if flavor == "sync" else aio.client
    client = make(
        "openai:gpt-4o",
        api_key=KEY,
        base_url=wire.url,
        max_retries=0,
        default_headers={"X-Proxy-Token": HEADER_TOKEN},
    )
    wire.reply(error(401, f"Incorrect API key provided: {KEY}, token {HEADER_TOKEN}"))
    exc = chat_error(flavor, client, stream)
    assert isinstance(exc, AuthenticationError) and "***" in str(exc)
    assert wire.requests[-1].headers["authorization"] == f"Bearer {KEY}"
    assert wire.requests[-1].headers["x-proxy-token"] == HEADER_TOKEN
    assert_error_hides(exc, caplog.text, KEY, HEADER_TOKEN)
    assert_client_hides(client, KEY, HEADER_TOKEN)


@pytest.mark.parametrize("flavor", ["sync", "async"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_user_password_url(
    wire: OpenAIWireServer, caplog: pytest.LogCaptureFixture, flavor: str, stream: bool
) -> None:
    url = wire.url.replace("http://", f"http://alice:{PASSWORD}@")
    make = aimu_core.client if flavor == "sync" else aio.client
    client = make(f"openai-compat:m@{url}", max_retries=0)
    assert "http://***@127.0.0.1" in repr(client)
    wire.reply(error(401, f"bad password {PASSWORD} for {url}"))
    exc = chat_error(flavor, client, stream)
    assert isinstance(exc, AuthenticationError)
    # sent as basic auth, not in the URL (which the SDK and httpx log)
    token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    assert wire.requests[-1].headers["authorization"] == f"Basic {token}"
    assert_error_hides(exc, caplog.text, PASSWORD)
    assert_client_hides(client, PASSWORD)


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_a_user_password_url_that_does_not_answer(
    closed_url: str, caplog: pytest.LogCaptureFixture, flavor: str
) -> None:
    url = closed_url.replace("http://", f"http://alice:{PASSWORD}@")
    make = aimu_core.client if flavor == "sync" else aio.client
    client = make("lmstudio:m", base_url=url, api_key=KEY, max_retries=0)
    exc = chat_error(flavor, client, False)
    assert isinstance(exc, ProviderConnectionError) and "http://***@127.0.0.1" in str(exc)
    assert_error_hides(exc, caplog.text, PASSWORD, KEY)
    assert_client_hides(client, PASSWORD, KEY)


def test_keys_the_sdk_reads_from_the_environment_are_redacted(
    wire: OpenAIWireServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    admin = "sk-admin-FROM-ENV-777"
    monkeypatch.setenv("OPENAI_ADMIN_KEY", admin)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    client = aimu_core.client("openai:gpt-4o", base_url=wire.url, max_retries=0)
    wire.reply(error(401, f"key {KEY} and admin key {admin} rejected"))
    exc = chat_error("sync", client, False)
    assert_error_hides(exc, caplog.text, KEY, admin)
    assert_client_hides(client, KEY, admin)
