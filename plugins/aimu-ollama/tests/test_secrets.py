"""Every secret the client knows stays out of str, repr, tracebacks, logs and exception chains.

Through the real SDK against the loopback fake: a 401 whose body echoes the
key, ``OLLAMA_API_KEY`` (which the SDK would read by itself), and a base URL
with ``user:password@``; sync and async, streamed and not.
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
from aimu_ollama.testing import FakeOllama
from pydantic import SecretStr

import aimu_core
from aimu_core import aio
from aimu_core.errors import (
    AimuError,
    AuthenticationError,
    ConfigurationError,
    ProviderConnectionError,
)
from aimu_core.testing import Response

KEY = "ollama-SECRET-key-0123456789"
PASSWORD = "hunter2-PASSWORD"


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
    elif type(obj).__module__.partition(".")[0] in ("aimu_core", "aimu_ollama"):
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
    exc = call(flavor, client, stream)
    assert isinstance(exc, AuthenticationError) and "***" in str(exc)
    assert server.headers[-1]["authorization"] == f"Bearer {KEY}"
    assert_hidden(exc, caplog.text, KEY)
    assert_client_holds_no_plain_secret(client, KEY)


@pytest.mark.parametrize("flavor", ["sync", "async"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_user_password_url(
    server: FakeOllama, caplog: pytest.LogCaptureFixture, flavor: str, stream: bool
) -> None:
    url = server.url.replace("http://", f"http://alice:{PASSWORD}@")
    client = _maker(flavor)(f"ollama:qwen3:8b@{url}")
    assert PASSWORD not in repr(client) and "***@127.0.0.1" in repr(client)
    server.script([_echo(PASSWORD)])
    exc = call(flavor, client, stream)
    assert isinstance(exc, AuthenticationError)
    token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    assert server.headers[-1]["authorization"] == f"Basic {token}"
    assert_hidden(exc, caplog.text, PASSWORD)
    assert_client_holds_no_plain_secret(client, PASSWORD)


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
    exc = call(flavor, client, False)
    assert isinstance(exc, ProviderConnectionError)
    assert_hidden(exc, caplog.text, PASSWORD, KEY)


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
    assert_hidden(caught.value, "", PASSWORD)


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
