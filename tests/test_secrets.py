"""Secrets stay out of messages, reprs and exception chains (``aimu_core.errors``' rules).

The plugins' loopback tests drive the same rules through the real SDKs; these
pin down the core helpers and the call loop that applies them.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import SecretStr

from aimu_core.errors import (
    AimuError,
    AuthenticationError,
    clipped,
    mask_url,
    quoted,
    redact,
    url_basic_auth,
    url_secrets,
)
from aimu_core.models import ModelClient
from aimu_core.models.resolve import resolve_model_string
from aimu_core.plugins import PluginManager
from aimu_core.policy import Policy
from aimu_core.sdk_calls import async_sdk_deltas, sdk_deltas

KEY = "sk-very-secret-0042"
URL = "http://alice:pa%40ss-word@127.0.0.1:9/v1"


class FakeRequest:
    """Like httpx.Request: the headers a chained SDK exception would keep."""

    def __init__(self) -> None:
        self.headers = {"Authorization": f"Bearer {KEY}"}


class SDKError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.request = FakeRequest()


def translate(exc: BaseException, text: str) -> AimuError | None:
    return AuthenticationError(f"rejected: {text}") if isinstance(exc, SDKError) else None


def chain(exc: BaseException | None) -> Iterator[BaseException]:
    """*exc* and every exception reachable from it through __cause__ and __context__."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__]


def assert_hidden(error: BaseException, *secrets: str) -> None:
    """No secret in the error's text, repr, whole traceback, nor any chained exception."""
    text = "".join(traceback.format_exception(error))
    for exc in chain(error):
        assert isinstance(exc, AimuError), f"an SDK exception stays reachable: {exc!r}"
        text += str(exc) + repr(exc) + repr(vars(exc))
    for secret in secrets:
        assert secret not in text


# -- the helpers ------------------------------------------------------------------------------


def test_mask_url_hides_the_userinfo_of_every_url() -> None:
    assert mask_url(URL) == "http://***@127.0.0.1:9/v1"
    assert mask_url("see https://u:p@h/x and http://h:1/") == "see https://***@h/x and http://h:1/"
    # urlsplit's reading: the userinfo runs to the last @ before the path
    assert mask_url("http://a@b:c@host/path@x") == "http://***@host/path@x"
    assert mask_url("ollama:qwen3:8b") == "ollama:qwen3:8b"


def test_url_secrets_cover_the_userinfo_and_the_password() -> None:
    secrets = url_secrets(URL)
    assert all(isinstance(s, SecretStr) for s in secrets)
    texts = {s.get_secret_value() for s in secrets}
    assert {"alice:pa%40ss-word", "pa%40ss-word", "pa@ss-word"} <= texts
    assert url_secrets("http://127.0.0.1:9/v1") == () and url_secrets(None) == ()
    assert redact("user alice:pa@ss-word said pa%40ss-word", secrets) == "user *** said ***"


def test_url_basic_auth_moves_the_userinfo_into_a_header() -> None:
    import base64

    url, header = url_basic_auth(URL)
    assert url == "http://127.0.0.1:9/v1"
    token = base64.b64encode(b"alice:pa@ss-word").decode()
    assert isinstance(header, SecretStr) and header.get_secret_value() == f"Basic {token}"
    assert token in {s.get_secret_value() for s in url_secrets(URL)}
    assert url_basic_auth("http://h:1/a@b") == ("http://h:1/a@b", None)
    assert url_basic_auth(None) == (None, None)


def test_quoted_input_is_capped() -> None:
    assert quoted("short") == "'short'"
    assert quoted("x" * 10_000) == repr("x" * 80 + "…")
    assert clipped(URL) == "http://***@127.0.0.1:9/v1"
    assert len(quoted(list(range(10_000)))) == 81


# -- the call loop ----------------------------------------------------------------------------


def failing_call() -> object:
    raise SDKError(f"bad key {KEY}")


def test_with_a_secret_the_sdk_exception_is_neither_cause_nor_context() -> None:
    with pytest.raises(AuthenticationError) as caught:
        list(sdk_deltas(failing_call, str, stream=False, translate=translate, secrets=[KEY]))
    error = caught.value
    assert error.__cause__ is None and error.__context__ is None
    assert "[tests.SDKError]" in str(error) or "SDKError]" in str(error)
    assert_hidden(error, KEY)


def test_with_a_secret_even_a_clean_sdk_exception_is_not_chained() -> None:
    # Its message quotes nothing, but its request still holds the Authorization header.
    def call() -> object:
        raise SDKError("401 unauthorized")

    with pytest.raises(AuthenticationError) as caught:
        list(sdk_deltas(call, str, stream=False, translate=translate, secrets=[SecretStr(KEY)]))
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert "SDKError" in str(caught.value)


def test_without_secrets_the_sdk_exception_is_the_cause() -> None:
    with pytest.raises(AuthenticationError) as caught:
        list(sdk_deltas(failing_call, str, stream=False, translate=translate))
    assert isinstance(caught.value.__cause__, SDKError)


def test_async_stream_failure_keeps_no_chain() -> None:
    async def parts() -> AsyncIterator[str]:
        yield "a"
        raise SDKError(f"cut, key {KEY}")

    async def call() -> AsyncIterator[str]:
        return parts()

    async def run() -> None:
        deltas = async_sdk_deltas(call, str, stream=True, translate=translate, secrets=[KEY])
        async for _ in deltas:
            pass

    with pytest.raises(AuthenticationError) as caught:
        asyncio.run(run())
    assert_hidden(caught.value, KEY)


# -- model strings ----------------------------------------------------------------------------


@pytest.fixture
def pm() -> PluginManager:
    import aimu_core.testing.scripted as scripted_plugin

    return PluginManager([scripted_plugin], policy=Policy(autoload=False), builtin=False)


def test_userinfo_of_an_at_url_is_never_shown(pm: PluginManager) -> None:
    resolved = resolve_model_string(f"scripted:m@{URL}", manager=pm)
    assert resolved.base_url == URL  # the client gets the credentials
    for shown in (repr(resolved), resolved.model_string):
        assert "pa%40ss-word" not in shown and "alice" not in shown and "***@" in shown
    client = ModelClient(f"scripted:m@{URL}", manager=pm)
    assert "pa%40ss-word" not in repr(client) and "***@127.0.0.1" in repr(client)


@pytest.mark.parametrize(
    "text",
    [
        f"scripted:m@ftp://alice:{KEY}@h/",  # wrong scheme
        f"scripted:m@http://alice:{KEY}@h:99999/",  # port out of range
        f"scripted:m;telepathy@http://alice:{KEY}@h/",  # a flag that is a URL
    ],
)
def test_errors_about_a_url_mask_its_userinfo(pm: PluginManager, text: str) -> None:
    with pytest.raises(AimuError) as caught:
        resolve_model_string(text, manager=pm)
    assert_hidden(caught.value, KEY)
