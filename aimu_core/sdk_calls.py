"""Calling a provider SDK from a client's ``_chat``: one request, its reply as deltas.

Every network provider does the same four things around its SDK call: open
it (streamed or not), read each part into a :class:`~aimu_core.models.Delta`,
close the stream however the caller stops, and translate the SDK's exceptions
into :mod:`aimu_core.errors` without leaking a secret. :func:`sdk_deltas` and
:func:`async_sdk_deltas` do all four, so a provider only says how to call and
how to read::

    def _chat(self, messages, *, tools, generate_kwargs, stream):
        request = self._request(messages, tools, generate_kwargs, stream)
        reader = MyReader()
        return sdk_deltas(
            lambda: self.sdk.chat(**request),
            reader.feed,
            stream=stream,
            translate=self._error_for,
            secrets=self._secrets,
            finish=reader.finish,
        )

The loop over a stream's parts is the hot path of every streamed reply: it
does nothing per part beyond calling ``read`` and skipping ``None``.

On the request side, :func:`tool_arguments` turns the tool-call arguments the
history holds (JSON text) into the object some APIs want.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any

from .errors import AimuError, Secret, translate_sdk_error
from .models.delta import Delta

__all__ = ["Translate", "async_sdk_deltas", "sdk_deltas", "tool_arguments"]

#: ``translate(exc, text)``: the aimu error for one SDK exception, given its
#: message with every secret redacted; ``None`` for an exception that is not the SDK's.
Translate = Callable[[BaseException, str], AimuError | None]


def sdk_deltas(
    call: Callable[[], Any],
    read: Callable[[Any], Delta | None],
    *,
    stream: bool,
    translate: Translate,
    secrets: Iterable[Secret] = (),
    finish: Callable[[], None] | None = None,
) -> Iterator[Delta]:
    """Make one SDK call and yield its reply as deltas.

    Args:
        call: makes the request; returns the whole reply, or with *stream* an
            iterable of parts that has a ``close()`` method.
        read: turns the reply (or one part) into a :class:`Delta`, or ``None``
            for a part that carries nothing.
        stream: whether *call* returns parts.
        translate: maps the SDK's exceptions to aimu errors (see :data:`Translate`).
        secrets: every secret the client knows, redacted from every message;
            when there is any, the SDK exception is not chained.
        finish: called after the last part, to check the stream ended properly
            (raise :class:`~aimu_core.errors.StreamInterruptedError` if not).

    The stream is closed when the reply ends, fails, or its reader stops early.
    An SDK exception becomes its aimu error, raised after the ``except`` block
    so that the SDK exception is not its ``__context__`` (see :mod:`aimu_core.errors`).
    """
    error: BaseException | None = None
    try:
        if not stream:
            delta = read(call())
            if delta is not None:
                yield delta
            return
        parts = call()
        try:
            for part in parts:
                delta = read(part)
                if delta is not None:
                    yield delta
            if finish is not None:
                finish()
        finally:
            parts.close()
    except Exception as exc:
        error = translate_sdk_error(exc, secrets, translate)
        if error is exc:
            raise
    if error is not None:
        raise error


async def async_sdk_deltas(
    call: Callable[[], Awaitable[Any]],
    read: Callable[[Any], Delta | None],
    *,
    stream: bool,
    translate: Translate,
    secrets: Iterable[Secret] = (),
    finish: Callable[[], None] | None = None,
) -> AsyncIterator[Delta]:
    """The async twin of :func:`sdk_deltas`: *call* is awaited, and with *stream* returns an
    async iterable of parts with an ``aclose()`` or awaitable ``close()`` method."""
    error: BaseException | None = None
    try:
        if not stream:
            delta = read(await call())
            if delta is not None:
                yield delta
            return
        parts = await call()
        try:
            async for part in parts:
                delta = read(part)
                if delta is not None:
                    yield delta
            if finish is not None:
                finish()
        finally:
            await _aclose(parts)
    except Exception as exc:
        error = translate_sdk_error(exc, secrets, translate)
        if error is exc:
            raise
    if error is not None:
        raise error


async def _aclose(parts: Any) -> None:
    # Async generators close with aclose(); the SDKs' stream objects with an
    # awaitable close().
    close = getattr(parts, "aclose", None) or parts.close
    result = close()
    if inspect.isawaitable(result):
        await result


def tool_arguments(arguments: Any) -> dict[str, Any]:
    """A tool call's ``arguments`` (OpenAI's JSON text, in the history) as the object a request
    to an API with object arguments needs (Anthropic's ``input``, Ollama's ``arguments``).

    Text that is not a JSON object is kept, not dropped, so the model sees what
    it said: under ``_raw`` when it is not JSON, under ``_value`` when it is
    JSON but not an object.
    """
    if isinstance(arguments, dict):
        return arguments
    if not arguments:
        return {}
    try:
        parsed = json.loads(arguments)
    except (ValueError, RecursionError):  # also: nested too deep, too many digits
        return {"_raw": arguments}
    return parsed if isinstance(parsed, dict) else {"_value": parsed}
