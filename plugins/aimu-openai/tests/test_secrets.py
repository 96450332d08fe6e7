"""Every secret the client knows stays out of str, repr, tracebacks, logs and exception chains.

Through the real SDK against the loopback wire server: a 401 whose body echoes
the key, and a base URL with ``user:password@``, sync and async, streamed and not.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import logging
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
from aimu_openai.testing import OpenAIWireServer, error
from pydantic import SecretStr

import aimu_core
from aimu_core import aio
from aimu_core.errors import AimuError, AuthenticationError, ProviderConnectionError

KEY = "sk-live-SECRET-0123456789"
PASSWORD = "hunter2-PASSWORD"
HEADER_TOKEN = "tok-HEADER-SECRET-42"


def chained(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is not None and id(current) not in seen:
            seen.add(id(current))
            yield current
            todo += [current.__cause__, current.__context__]


def plain_strings(obj: Any, depth: int = 0, seen: set[int] | None = None) -> Iterator[str]:
    """Every str reachable from *obj* through vars(), containers, partials and closures,
    not entering SDK or HTTP-library objects (they hold the key by design) nor SecretStr."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 8 or isinstance(obj, SecretStr):
        return
    seen.add(id(obj))
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from plain_strings(key, depth + 1, seen)
            yield from plain_strings(value, depth + 1, seen)
    elif isinstance(obj, list | tuple | set | frozenset):
        for item in obj:
            yield from plain_strings(item, depth + 1, seen)
    elif isinstance(obj, functools.partial):
        yield from plain_strings([obj.func, obj.args, obj.keywords], depth + 1, seen)
    elif callable(obj) and getattr(obj, "__closure__", None):
        for cell in obj.__closure__:
            yield from plain_strings(cell.cell_contents, depth + 1, seen)
    elif type(obj).__module__.partition(".")[0] in ("aimu_core", "aimu_openai"):
        fields = getattr(obj, "__dict__", None) or {
            name: getattr(obj, name) for name in getattr(obj, "__slots__", ()) if hasattr(obj, name)
        }
        yield from plain_strings(fields, depth + 1, seen)


def assert_hidden(error: BaseException, logs: str, *secrets: str) -> None:
    text = "".join(traceback.format_exception(error)) + logs
    for exc in chained(error):
        assert isinstance(exc, AimuError), f"the SDK exception stays reachable: {type(exc)}"
        text += str(exc) + repr(exc) + repr(vars(exc)) + repr(exc.args)
    for secret in secrets:
        assert secret not in text


def assert_client_holds_no_plain_secret(client: Any, *secrets: str) -> None:
    shown = repr(client) + repr(getattr(client, "client", client))
    strings = list(plain_strings(getattr(client, "client", client)))
    for secret in secrets:
        assert secret not in shown
        assert not [s for s in strings if secret in s]


def call(flavor: str, client: Any, stream: bool) -> AimuError:
    async def run_async() -> None:
        result = await client.chat("hi", stream=stream)
        if stream:
            [c async for c in result]

    with pytest.raises(AimuError) as caught:
        if flavor == "sync":
            result = client.chat("hi", stream=stream)
            if stream:
                list(result)
        else:
            asyncio.run(run_async())
    return caught.value


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
    exc = call(flavor, client, stream)
    assert isinstance(exc, AuthenticationError) and "***" in str(exc)
    assert wire.requests[-1].headers["authorization"] == f"Bearer {KEY}"
    assert wire.requests[-1].headers["x-proxy-token"] == HEADER_TOKEN
    assert_hidden(exc, caplog.text, KEY, HEADER_TOKEN)
    assert_client_holds_no_plain_secret(client, KEY, HEADER_TOKEN)


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
    exc = call(flavor, client, stream)
    assert isinstance(exc, AuthenticationError)
    # sent as basic auth, not in the URL (which the SDK and httpx log)
    token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    assert wire.requests[-1].headers["authorization"] == f"Basic {token}"
    assert_hidden(exc, caplog.text, PASSWORD)
    assert_client_holds_no_plain_secret(client, PASSWORD)


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_a_user_password_url_that_does_not_answer(
    closed_url: str, caplog: pytest.LogCaptureFixture, flavor: str
) -> None:
    url = closed_url.replace("http://", f"http://alice:{PASSWORD}@")
    make = aimu_core.client if flavor == "sync" else aio.client
    client = make("lmstudio:m", base_url=url, api_key=KEY, max_retries=0)
    exc = call(flavor, client, False)
    assert isinstance(exc, ProviderConnectionError) and "http://***@127.0.0.1" in str(exc)
    assert_hidden(exc, caplog.text, PASSWORD, KEY)
    assert_client_holds_no_plain_secret(client, PASSWORD, KEY)


def test_keys_the_sdk_reads_from_the_environment_are_redacted(
    wire: OpenAIWireServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    admin = "sk-admin-FROM-ENV-777"
    monkeypatch.setenv("OPENAI_ADMIN_KEY", admin)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    client = aimu_core.client("openai:gpt-4o", base_url=wire.url, max_retries=0)
    wire.reply(error(401, f"key {KEY} and admin key {admin} rejected"))
    exc = call("sync", client, False)
    assert_hidden(exc, caplog.text, KEY, admin)
    assert_client_holds_no_plain_secret(client, KEY, admin)
