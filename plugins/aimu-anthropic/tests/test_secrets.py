"""Every secret the client knows stays out of str, repr, tracebacks, logs and exception chains.

Through the real SDK against the loopback fake: a 401 whose body echoes the
key, a base URL with ``user:password@``, and the token the SDK reads from the
environment by itself; sync and async, streamed and not.
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
from aimu_anthropic.testing import FakeAnthropic, error_response
from pydantic import SecretStr

import aimu_core
from aimu_core import aio
from aimu_core.errors import AimuError, AuthenticationError, ProviderConnectionError

KEY = "sk-ant-live-SECRET-0123456789"
PASSWORD = "hunter2-PASSWORD"
TOKEN = "ant-auth-token-FROM-ENV-99"


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
    elif type(obj).__module__.partition(".")[0] in ("aimu_core", "aimu_anthropic"):
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
    exc = call(flavor, client, stream)
    assert isinstance(exc, AuthenticationError) and "***" in str(exc)
    assert KEY in api.headers[-1].values() or f"Bearer {KEY}" in api.headers[-1].values()
    assert_hidden(exc, caplog.text, KEY)
    assert_client_holds_no_plain_secret(client, KEY)


@pytest.mark.parametrize("flavor", ["sync", "async"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_user_password_url(
    api: FakeAnthropic, caplog: pytest.LogCaptureFixture, flavor: str, stream: bool
) -> None:
    url = api.url.replace("http://", f"http://alice:{PASSWORD}@")
    client = _maker(flavor)("anthropic:claude-sonnet-4-6", api_key=KEY, base_url=url, max_retries=0)
    assert "http://***@127.0.0.1" in repr(client.base_url)
    api.script([error_response(401, "authentication_error", f"bad password {PASSWORD} at {url}")])
    exc = call(flavor, client, stream)
    assert isinstance(exc, AuthenticationError)
    token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    assert api.headers[-1]["authorization"] == f"Basic {token}"
    assert_hidden(exc, caplog.text, PASSWORD, KEY)
    assert_client_holds_no_plain_secret(client, PASSWORD, KEY)


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
    exc = call(flavor, client, False)
    assert isinstance(exc, ProviderConnectionError) and "http://***@127.0.0.1" in str(exc)
    assert_hidden(exc, caplog.text, PASSWORD, KEY)


def test_the_auth_token_the_sdk_reads_from_the_environment_is_redacted(
    api: FakeAnthropic, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", TOKEN)
    client = aimu_core.client("anthropic:claude-sonnet-4-6", base_url=api.url, max_retries=0)
    api.script([error_response(401, "authentication_error", f"token {TOKEN} expired")])
    exc = call("sync", client, False)
    assert api.headers[-1]["authorization"] == f"Bearer {TOKEN}"
    assert isinstance(exc, AuthenticationError)
    assert_hidden(exc, caplog.text, TOKEN)
    assert_client_holds_no_plain_secret(client, TOKEN)
