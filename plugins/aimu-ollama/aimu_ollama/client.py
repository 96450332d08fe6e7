"""``OllamaClient`` and ``AsyncOllamaClient``: Ollama models through the official ``ollama`` SDK.

Both implement aimu's one-method provider contract (``_chat``, plus
``_generate`` on ``/api/generate``). Thinking comes from Ollama's own
``thinking`` field (requested with ``think`` for thinking models), portable
generation kwargs become Ollama ``options`` (``max_tokens`` -> ``num_predict``,
``context_length`` -> ``num_ctx``), and tool calls, which Ollama sends whole
and without ids, get stable ids and running indexes across the stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any

import ollama
from pydantic import SecretStr

from aimu_core.aio import AsyncBaseModelClient, LoopLocal
from aimu_core.errors import ConfigurationError, StreamInterruptedError
from aimu_core.models import BaseModelClient
from aimu_core.models.delta import Delta, ToolCallDelta
from aimu_core.models.images import ImageInput, image_part
from aimu_core.models.spec import AdHocModel, Model

from ._errors import translate
from ._host import resolve_host
from ._messages import adapt_messages, image_payload

__all__ = ["AsyncOllamaClient", "OllamaClient"]

#: Ollama ``options`` a caller may set by their native names (besides the portable ones).
OPTION_KWARGS = frozenset(
    {
        "num_ctx", "num_predict", "num_keep", "num_batch", "num_gpu", "main_gpu", "num_thread",
        "repeat_last_n", "typical_p", "min_p", "tfs_z", "mirostat", "mirostat_tau", "mirostat_eta",
        "penalize_newline", "use_mmap", "use_mlock", "numa", "low_vram",
    }
)  # fmt: skip
#: Top-level request fields a caller may set.
_REQUEST_KWARGS = frozenset({"think", "format", "keep_alive"})
_THINK_LEVELS = ("low", "medium", "high")


class _OllamaRequests:
    """Options, credentials and request building shared by the sync and async clients."""

    provider = "ollama"
    GENERATE_KWARGS: Mapping[str, str] = {
        "temperature": "temperature",
        "top_p": "top_p",
        "top_k": "top_k",
        "seed": "seed",
        "stop": "stop",
        "repeat_penalty": "repeat_penalty",
        "presence_penalty": "presence_penalty",
        "frequency_penalty": "frequency_penalty",
        "max_tokens": "num_predict",
        "context_length": "num_ctx",
    }
    #: ``think`` (bool, or "low"/"medium"/"high" for models with levels), ``format``
    #: ("json" or a JSON schema), ``keep_alive``, and Ollama's own option names.
    NATIVE_KWARGS = OPTION_KWARGS | _REQUEST_KWARGS

    model: Model | AdHocModel
    system_message: str | None

    def _configure(self, base_url: str | None, api_key: str | None, timeout: float | None) -> None:
        self.base_url = resolve_host(base_url)
        self.timeout = timeout
        self._api_key = SecretStr(api_key) if api_key else None

    def _sdk_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"host": self.base_url}
        if self.timeout is not None:
            options["timeout"] = self.timeout
        if self._api_key is not None:
            options["headers"] = {"Authorization": f"Bearer {self._api_key.get_secret_value()}"}
        return options

    def _request(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Fields shared by chat and generate: model, options, think, format, keep_alive."""
        options = {k: v for k, v in kwargs.items() if k not in _REQUEST_KWARGS}
        request: dict[str, Any] = {"model": self.model.value}
        if options:
            request["options"] = options
        think = kwargs.get("think", True if self.model.supports_thinking else None)
        if think is not None:
            if not isinstance(think, bool) and think not in _THINK_LEVELS:
                raise ConfigurationError(
                    f"think={think!r} is invalid: use True, False or one of {_THINK_LEVELS}"
                )
            request["think"] = think
        for key in ("format", "keep_alive"):
            if kwargs.get(key) is not None:
                request[key] = kwargs[key]
        return request

    def _chat_request(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        request = self._request(kwargs)
        request["messages"] = adapt_messages(messages)
        if tools:
            request["tools"] = tools
        return request

    def _generate_request(
        self, prompt: str, images: list[ImageInput] | None, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        request = self._request(kwargs)
        request["prompt"] = prompt
        if self.system_message:
            request["system"] = self.system_message
        if images:
            request["images"] = [
                image_payload(image_part(image)["image_url"]["url"]) for image in images
            ]
        return request

    def _translate(self, exc: BaseException, *, streaming: bool) -> BaseException:
        key = self._api_key.get_secret_value() if self._api_key is not None else None
        return translate(
            exc, secrets=[key], model=self.model.value, host=self.base_url, streaming=streaming
        )


class _Reader:
    """Turns Ollama chat or generate responses (whole or streamed parts) into deltas.

    Ollama sends each tool call whole, sometimes one per part, after parts
    with empty content; every call gets the next running index and an id
    that is stable for its place in the conversation.
    """

    __slots__ = ("_calls", "_prefix", "done")

    def __init__(self, turn: int) -> None:
        self._prefix = f"call_{turn}_"
        self._calls = 0
        self.done = False

    def chat(self, part: Any) -> Delta | None:
        message = part.message
        if not (part.done or message.tool_calls):  # the common case: a piece of text or thinking
            if message.thinking:
                return Delta(text=message.content or "", thinking=message.thinking)
            return Delta(message.content) if message.content else None
        calls: list[ToolCallDelta] = []
        for call in message.tool_calls or ():
            index = self._calls
            self._calls += 1
            calls.append(
                ToolCallDelta(
                    index=index,
                    id=f"{self._prefix}{index}",
                    name=call.function.name,
                    arguments=dict(call.function.arguments or {}),
                )
            )
        return self._delta(part, message.content or "", message.thinking or "", calls)

    def generate(self, part: Any) -> Delta | None:
        return self._delta(part, part.response or "", part.thinking or "", [])

    def _delta(
        self, part: Any, text: str, thinking: str, calls: list[ToolCallDelta]
    ) -> Delta | None:
        if not part.done:
            if not (text or thinking or calls):
                return None  # the empty parts Ollama sends, e.g. before a tool call
            return Delta(text=text, thinking=thinking, tool_calls=calls)
        self.done = True
        finish = "tool_calls" if self._calls else part.done_reason
        usage = {
            "prompt_tokens": part.prompt_eval_count or 0,
            "completion_tokens": part.eval_count or 0,
        }
        return Delta(
            text=text, thinking=thinking, tool_calls=calls, usage=usage, finish_reason=finish
        )

    def finish(self) -> None:
        if not self.done:
            raise StreamInterruptedError(
                "The Ollama stream ended before its final part; the reply is incomplete",
                provider="ollama",
            )


class OllamaClient(_OllamaRequests, BaseModelClient):
    """A stateful chat client for one Ollama model.

    Args:
        model: a catalog member or ad-hoc model (the factory passes it).
        base_url: the server; defaults to ``OLLAMA_HOST``, else ``http://127.0.0.1:11434``
            (also set by a model string's ``@url``).
        api_key: a bearer token for servers behind authentication (the SDK
            also reads ``OLLAMA_API_KEY``); kept as a ``SecretStr``.
        timeout: seconds per request; ``None`` waits as long as a model takes to load.
    """

    def __init__(
        self,
        model: Model | AdHocModel,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        system_message: str | None = None,
        tools: Iterable[Any] = (),
        mcp_client: Any = None,
        default_generate_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(
            model,
            system_message=system_message,
            tools=tools,
            mcp_client=mcp_client,
            default_generate_kwargs=default_generate_kwargs,
        )
        self._configure(base_url, api_key, timeout)
        self._sdk: ollama.Client | None = None

    def _client(self) -> ollama.Client:
        if self._sdk is None:
            self._sdk = ollama.Client(**self._sdk_options())
        return self._sdk

    def _chat(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]],
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> Iterator[Delta]:
        # Returns the generator of _run rather than delegating to it: one
        # generator frame less to resume for every streamed part.
        request = self._chat_request(messages, tools, generate_kwargs)
        reader = _Reader(len(messages))
        return self._run(self._client().chat, reader.chat, request, stream)

    def _generate(
        self,
        prompt: str,
        *,
        images: list[ImageInput] | None,
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> Iterator[Delta]:
        request = self._generate_request(prompt, images, generate_kwargs)
        return self._run(self._client().generate, _Reader(0).generate, request, stream)

    def _run(self, call: Any, read: Any, request: dict[str, Any], stream: bool) -> Iterator[Delta]:
        reader = read.__self__
        try:
            if not stream:
                delta = read(call(**request, stream=False))
                if delta is not None:
                    yield delta
                return
            parts = call(**request, stream=True)
            try:
                for part in parts:
                    delta = read(part)
                    if delta is not None:
                        yield delta
                reader.finish()
            finally:
                parts.close()
        except Exception as exc:
            raise self._translate(exc, streaming=stream)  # noqa: B904 - chaining is decided there


class AsyncOllamaClient(_OllamaRequests, AsyncBaseModelClient):
    """The async twin of :class:`OllamaClient` (same options), on ``ollama.AsyncClient``.

    The SDK client is made per event loop: its connection pool belongs to the
    loop that opened it, so one aimu client can be used across ``asyncio.run`` calls.
    """

    def __init__(
        self,
        model: Model | AdHocModel,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        system_message: str | None = None,
        tools: Iterable[Any] = (),
        mcp_client: Any = None,
        default_generate_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(
            model,
            system_message=system_message,
            tools=tools,
            mcp_client=mcp_client,
            default_generate_kwargs=default_generate_kwargs,
        )
        self._configure(base_url, api_key, timeout)
        self._sdk = LoopLocal(lambda: ollama.AsyncClient(**self._sdk_options()))

    def _client(self) -> ollama.AsyncClient:
        return self._sdk.get()

    def _chat(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]],
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> AsyncIterator[Delta]:
        request = self._chat_request(messages, tools, generate_kwargs)
        reader = _Reader(len(messages))
        return self._run(self._client().chat, reader.chat, request, stream)

    def _generate(
        self,
        prompt: str,
        *,
        images: list[ImageInput] | None,
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> AsyncIterator[Delta]:
        request = self._generate_request(prompt, images, generate_kwargs)
        return self._run(self._client().generate, _Reader(0).generate, request, stream)

    async def _run(
        self, call: Any, read: Any, request: dict[str, Any], stream: bool
    ) -> AsyncIterator[Delta]:
        reader = read.__self__
        try:
            if not stream:
                delta = read(await call(**request, stream=False))
                if delta is not None:
                    yield delta
                return
            parts = await call(**request, stream=True)
            try:
                async for part in parts:
                    delta = read(part)
                    if delta is not None:
                        yield delta
                reader.finish()
            finally:
                await parts.aclose()
        except Exception as exc:
            raise self._translate(exc, streaming=stream)  # noqa: B904 - chaining is decided there
