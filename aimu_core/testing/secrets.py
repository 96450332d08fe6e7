"""Checks that a secret stays hidden: in errors, their chains, logs and a client's own state.

A provider's tests hand a client a key (an argument, an env var, a URL's
``user:password@``), make it fail, and assert the key shows nowhere a user
or a log could see it. The same checks serve every plugin, so they live here.
"""

from __future__ import annotations

import asyncio
import functools
import traceback
from collections.abc import Iterator
from typing import Any

from ..errors import AimuError

__all__ = [
    "assert_client_hides",
    "assert_error_hides",
    "chat_error",
    "exception_chain",
    "plain_strings",
]


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """*exc* and every exception reachable from it through ``__cause__`` and ``__context__``."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is not None and id(current) not in seen:
            seen.add(id(current))
            yield current
            todo += [current.__cause__, current.__context__]


def plain_strings(
    obj: Any,
    packages: tuple[str, ...] = ("aimu_core",),
    depth: int = 0,
    seen: set[int] | None = None,
) -> Iterator[str]:
    """Every ``str`` reachable from *obj* through ``vars()``, containers, partials and closures.

    Objects of other packages than *packages* (the SDK and HTTP library hold
    the key by design) and pydantic ``SecretStr`` values are not entered.
    """
    from pydantic import SecretStr

    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 8 or isinstance(obj, SecretStr):
        return
    seen.add(id(obj))
    step = functools.partial(plain_strings, packages=packages, depth=depth + 1, seen=seen)
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from step(key)
            yield from step(value)
    elif isinstance(obj, list | tuple | set | frozenset):
        for item in obj:
            yield from step(item)
    elif isinstance(obj, functools.partial):
        yield from step([obj.func, obj.args, obj.keywords])
    elif callable(obj) and getattr(obj, "__closure__", None):
        for cell in obj.__closure__:
            yield from step(cell.cell_contents)
    elif type(obj).__module__.partition(".")[0] in packages:
        fields = getattr(obj, "__dict__", None) or {
            name: getattr(obj, name) for name in getattr(obj, "__slots__", ()) if hasattr(obj, name)
        }
        yield from step(fields)


def assert_error_hides(error: BaseException, logs: str, *secrets: str) -> None:
    """No secret in the error's traceback, in *logs*, or in any exception of its chain
    (``str``, ``repr``, ``vars``, ``args``); and no SDK exception left in the chain."""
    text = "".join(traceback.format_exception(error)) + logs
    for exc in exception_chain(error):
        assert isinstance(exc, AimuError), f"the SDK exception stays reachable: {type(exc)}"
        text += str(exc) + repr(exc) + repr(vars(exc)) + repr(exc.args)
    for secret in secrets:
        assert secret not in text


def assert_client_hides(client: Any, *secrets: str) -> None:
    """No secret in the client's ``repr`` nor in any plain string its own objects hold."""
    inner = getattr(client, "client", client)  # a ModelClient's provider client
    own = ("aimu_core", type(inner).__module__.partition(".")[0])
    shown = repr(client) + repr(inner)
    strings = list(plain_strings(inner, own))
    for secret in secrets:
        assert secret not in shown
        assert not [s for s in strings if secret in s]


def chat_error(flavor: str, client: Any, stream: bool) -> AimuError:
    """The aimu error one ``chat("hi")`` raises: sync or async (*flavor*), streamed or not."""

    async def run_async() -> None:
        result = await client.chat("hi", stream=stream)
        if stream:
            [chunk async for chunk in result]

    try:
        if flavor == "sync":
            result = client.chat("hi", stream=stream)
            if stream:
                list(result)
        else:
            asyncio.run(run_async())
    except AimuError as exc:
        return exc
    raise AssertionError(f"chat() ({flavor}, stream={stream}) raised no aimu error")
