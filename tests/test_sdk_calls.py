"""The shared SDK-call pattern: open, read, close, translate (``aimu_core.sdk_calls``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import SecretStr

from aimu_core.errors import AimuError, ProviderError, StreamInterruptedError
from aimu_core.models import Delta
from aimu_core.sdk_calls import async_sdk_deltas, sdk_deltas

KEY = SecretStr("sk-never-shown-42")


class SDKFailure(Exception):
    """What the fictional SDK raises."""


def translate(exc: BaseException, text: str) -> AimuError | None:
    return ProviderError(f"translated: {text}") if isinstance(exc, SDKFailure) else None


class Parts:
    """A stream of parts with a close() method, like an SDK's stream object."""

    def __init__(self, parts: list[object], fail_at: int | None = None) -> None:
        self.parts, self.fail_at, self.closed = parts, fail_at, False

    def __iter__(self) -> Iterator[object]:
        for index, part in enumerate(self.parts):
            if index == self.fail_at:
                raise SDKFailure(f"cut with {KEY.get_secret_value()}")
            yield part

    async def __aiter__(self) -> AsyncIterator[object]:
        for part in self:
            yield part

    def close(self) -> None:
        self.closed = True


def read(part: object) -> Delta | None:
    return Delta(str(part)) if part else None


def test_a_whole_reply_is_one_delta() -> None:
    deltas = list(sdk_deltas(lambda: "all", read, stream=False, translate=translate))
    assert deltas == [Delta("all")]


def test_a_stream_skips_empty_parts_and_is_closed() -> None:
    parts = Parts(["a", "", "b"])
    finished: list[bool] = []
    deltas = sdk_deltas(
        lambda: parts, read, stream=True, translate=translate, finish=lambda: finished.append(True)
    )
    assert [d.text for d in deltas] == ["a", "b"]
    assert parts.closed and finished == [True]


def test_a_stream_abandoned_by_its_reader_is_closed() -> None:
    parts = Parts(["a", "b", "c"])
    deltas = sdk_deltas(lambda: parts, read, stream=True, translate=translate)
    assert next(deltas).text == "a"
    deltas.close()
    assert parts.closed


def test_failures_are_translated_without_the_secret() -> None:
    parts = Parts(["a", "b"], fail_at=1)
    deltas = sdk_deltas(lambda: parts, read, stream=True, translate=translate, secrets=[KEY])
    with pytest.raises(ProviderError) as caught:
        list(deltas)
    assert "***" in str(caught.value) and KEY.get_secret_value() not in str(caught.value)
    assert caught.value.__cause__ is None  # the SDK's text quoted the key: not chained
    assert parts.closed


def test_foreign_exceptions_and_finish_errors_pass_through() -> None:
    def boom() -> object:
        raise KeyError("ours")

    with pytest.raises(KeyError):
        list(sdk_deltas(boom, read, stream=False, translate=translate))

    def unfinished() -> None:
        raise StreamInterruptedError("ended early")

    with pytest.raises(StreamInterruptedError, match="ended early"):
        list(
            sdk_deltas(
                lambda: Parts(["a"]), read, stream=True, translate=translate, finish=unfinished
            )
        )


def test_the_async_twin_behaves_the_same() -> None:
    async def main() -> tuple[list[str], Parts, str]:
        parts = Parts(["a", "", "b"])

        async def call() -> Parts:
            return parts

        texts = [
            d.text async for d in async_sdk_deltas(call, read, stream=True, translate=translate)
        ]
        failing = Parts(["a", "b"], fail_at=1)

        async def call_failing() -> Parts:
            return failing

        try:
            async for _ in async_sdk_deltas(
                call_failing, read, stream=True, translate=translate, secrets=[KEY]
            ):
                pass
        except ProviderError as exc:
            message = str(exc)
        assert failing.closed
        return texts, parts, message

    texts, parts, message = asyncio.run(main())
    assert texts == ["a", "b"] and parts.closed
    assert KEY.get_secret_value() not in message and "***" in message
