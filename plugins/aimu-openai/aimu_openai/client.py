"""Sync and async clients for OpenAI's Chat Completions API and every server that speaks it.

This is the one module of the plugin that imports the ``openai`` SDK; aimu
imports it only when a client of one of these providers is built.

:class:`OpenAICompatClient` (and its async twin) does the work: it sends the
conversation (already in OpenAI's format) with ``openai.OpenAI``, and turns
the reply, streamed or not, into :class:`~aimu_core.models.Delta` pieces:
answer text, reasoning from ``reasoning_content``/``reasoning`` fields (tagged
``<think>`` reasoning is left in the text for the core to split), tool-call
pieces and usage. SDK exceptions become :mod:`aimu_core.errors` here, at the
plugin boundary. The subclasses only say where the server is, where its key
comes from and which generation kwargs it understands.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

import httpx
import openai
from pydantic import SecretStr

from aimu_core.aio import AsyncBaseModelClient, LoopLocal
from aimu_core.errors import AimuError, AuthenticationError, ConfigurationError, translate_sdk_error
from aimu_core.models import AdHocModel, BaseModelClient, Delta, Model, ModelSpec, ToolCallDelta

from . import _endpoints
from ._errors import (
    ErrorContext,
    connection_error,
    invalid_response,
    status_error,
    stream_error,
    stream_interrupted,
    timeout_error,
)
from .models import GeminiModel, OpenAIModel

__all__ = [
    "AsyncGeminiClient",
    "AsyncLMStudioClient",
    "AsyncLlamaServerClient",
    "AsyncOpenAIClient",
    "AsyncOpenAICompatClient",
    "AsyncSGLangClient",
    "AsyncVLLMClient",
    "GeminiClient",
    "LMStudioClient",
    "LlamaServerClient",
    "OpenAIClient",
    "OpenAICompatClient",
    "SGLangClient",
    "VLLMClient",
]

#: Sent as the API key to servers that need none: the SDK insists on one.
PLACEHOLDER_API_KEY = "aimu-no-key"

# -- generation kwargs: portable name -> the server's name ------------------------------

_STANDARD_KWARGS: Mapping[str, str] = {
    "temperature": "temperature",
    "top_p": "top_p",
    "max_tokens": "max_tokens",
    "stop": "stop",
    "seed": "seed",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
}
#: llama.cpp's server and LM Studio also take top_k and repeat_penalty.
_LLAMACPP_KWARGS: Mapping[str, str] = {
    **_STANDARD_KWARGS,
    "top_k": "top_k",
    "repeat_penalty": "repeat_penalty",
}
#: vLLM and SGLang call the repeat penalty repetition_penalty.
_VLLM_KWARGS: Mapping[str, str] = {
    **_STANDARD_KWARGS,
    "top_k": "top_k",
    "repeat_penalty": "repetition_penalty",
}
#: OpenAI deprecated max_tokens for max_completion_tokens (reasoning models reject max_tokens).
_OPENAI_KWARGS: Mapping[str, str] = {**_STANDARD_KWARGS, "max_tokens": "max_completion_tokens"}
#: Reasoning models reject sampling settings and stop sequences.
_OPENAI_REASONING_KWARGS: Mapping[str, str] = {
    "max_tokens": "max_completion_tokens",
    "seed": "seed",
}

_COMMON_NATIVE = frozenset(
    {
        "reasoning_effort",
        "response_format",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "parallel_tool_calls",
        "tool_choice",
        "user",
        "extra_body",
        "extra_headers",
        "extra_query",
    }
)
_LOCAL_NATIVE = _COMMON_NATIVE | {"min_p", "chat_template_kwargs"}
_OPENAI_NATIVE = _COMMON_NATIVE | {
    "max_completion_tokens",
    "metadata",
    "prediction",
    "prompt_cache_key",
    "safety_identifier",
    "service_tier",
    "store",
    "verbosity",
}

#: Parameters ``chat.completions.create`` takes by name; other kwargs go in ``extra_body``.
_SDK_PARAMS = frozenset(
    {
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "reasoning_effort",
        "response_format",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "parallel_tool_calls",
        "tool_choice",
        "user",
        "metadata",
        "prediction",
        "prompt_cache_key",
        "safety_identifier",
        "service_tier",
        "store",
        "verbosity",
        "extra_headers",
        "extra_query",
    }
)
#: Only meaningful when tools are offered; OpenAI rejects them otherwise.
_TOOL_KWARGS = ("tool_choice", "parallel_tool_calls")
#: Where servers put reasoning that is not in the answer text, most common first.
_REASONING_FIELDS = ("reasoning_content", "reasoning")


# -- what the sync and async clients share ------------------------------------------------


class _Endpoint:
    """Which server, which key, which kwargs, and the wire mapping: I/O-free, shared by both twins.

    Subclasses set the class attributes; the clients call :meth:`_configure`
    from ``__init__``.
    """

    provider: ClassVar[str] = "openai-compat"
    GENERATE_KWARGS: ClassVar[Mapping[str, str]] = _STANDARD_KWARGS
    NATIVE_KWARGS: ClassVar[frozenset[str]] = _LOCAL_NATIVE
    #: The provider's model catalog, for model ids given as plain strings.
    CATALOG: ClassVar[type[Model] | None] = None
    DEFAULT_BASE_URL: ClassVar[str | None] = None
    #: Env var holding the base URL (read when no base_url= is given).
    BASE_URL_ENV: ClassVar[str | None] = None
    #: Env vars holding the API key, first set wins.
    API_KEY_ENVS: ClassVar[tuple[str, ...]] = ()
    #: Without a key the client refuses to start (hosted APIs); else a placeholder is sent.
    REQUIRES_API_KEY: ClassVar[bool] = False
    #: Whether the SDK may add OPENAI_ORG_ID / OPENAI_PROJECT_ID headers (OpenAI only).
    SENDS_OPENAI_ORG: ClassVar[bool] = False
    #: Ask for a usage chunk at the end of a stream (``stream_options.include_usage``);
    #: ``stream_usage=False`` for a server that rejects ``stream_options``.
    stream_usage: bool = True

    model: Model | AdHocModel
    messages: list[dict[str, Any]]
    base_url: str
    timeout: float | httpx.Timeout | None
    _api_key: SecretStr
    _errors: ErrorContext

    @classmethod
    def _as_model(cls, model: Model | AdHocModel | ModelSpec | str) -> Model | AdHocModel:
        """Accept a plain model id too, for clients built directly rather than by the factory."""
        if isinstance(model, ModelSpec):
            model = model.id
        if not isinstance(model, str):
            return model
        member = cls.CATALOG._value2member_map_.get(model) if cls.CATALOG is not None else None
        return member if isinstance(member, Model) else AdHocModel(ModelSpec(model))

    def _configure(
        self,
        api_key: str | SecretStr | None,
        base_url: str | None,
        timeout: float | httpx.Timeout | None,
    ) -> str:
        """Settle base URL, key and kwargs vocabulary; return the key for the SDK."""
        url = base_url or (os.environ.get(self.BASE_URL_ENV) if self.BASE_URL_ENV else None)
        url = url or self.DEFAULT_BASE_URL
        if not url:
            raise ConfigurationError(
                f"Provider {self.provider!r} needs a base URL: write "
                f"{self.provider}:{self.model.value}@http://host:port/v1 or pass base_url="
            )
        if isinstance(api_key, SecretStr):
            api_key = api_key.get_secret_value()
        key = api_key or next((os.environ[e] for e in self.API_KEY_ENVS if os.environ.get(e)), "")
        if not key:
            if self.REQUIRES_API_KEY:
                raise AuthenticationError(
                    f"Provider {self.provider!r} needs an API key: set "
                    f"{' or '.join(self.API_KEY_ENVS)} or pass api_key=",
                    provider=self.provider,
                )
            key = PLACEHOLDER_API_KEY
        self.base_url = url
        self.timeout = timeout
        self._api_key = SecretStr(key)
        self._errors = ErrorContext(
            self.provider,
            self.model.value,
            url,
            self.API_KEY_ENVS,
            () if key == PLACEHOLDER_API_KEY else (key,),
        )
        kwargs_map = self._generate_kwargs_map()
        if kwargs_map is not type(self).GENERATE_KWARGS:
            self.GENERATE_KWARGS = kwargs_map  # type: ignore[misc]
        return key

    def _generate_kwargs_map(self) -> Mapping[str, str]:
        """The kwargs vocabulary for this client's model (a hook for per-model differences)."""
        return type(self).GENERATE_KWARGS

    def _sdk_options(
        self,
        key: str,
        timeout: float | httpx.Timeout | None,
        max_retries: int | None,
        default_headers: Mapping[str, str] | None,
        http_client: Any,
    ) -> dict[str, Any]:
        options: dict[str, Any] = {"api_key": key, "base_url": self.base_url}
        if timeout is not None:
            options["timeout"] = timeout
        if max_retries is not None:
            options["max_retries"] = max_retries
        if default_headers:
            options["default_headers"] = dict(default_headers)
        if http_client is not None:
            options["http_client"] = http_client
        return options

    def _scrub_sdk(self, sdk: openai.OpenAI | openai.AsyncOpenAI) -> None:
        # The SDK adds OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment as
        # headers; they are OpenAI's business, not Gemini's or a local server's.
        if not self.SENDS_OPENAI_ORG:
            sdk.organization = None
            sdk.project = None

    # -- request ---------------------------------------------------------------------

    def _request(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> dict[str, Any]:
        """The keyword arguments of ``chat.completions.create`` for one call."""
        request: dict[str, Any] = {"model": self.model.value, "messages": _adapt(messages)}
        extra_body: dict[str, Any] = {}
        for key, value in generate_kwargs.items():
            if key == "extra_body":
                continue
            if key in _SDK_PARAMS:
                request[key] = value
            else:
                extra_body[key] = value
        extra_body.update(generate_kwargs.get("extra_body") or {})
        if extra_body:
            request["extra_body"] = extra_body
        if tools:
            request["tools"] = tools
        else:
            for key in _TOOL_KWARGS:
                request.pop(key, None)
        if stream:
            request["stream"] = True
            if self.stream_usage:
                request["stream_options"] = {"include_usage": True}
        return request

    # -- errors ----------------------------------------------------------------------

    @contextmanager
    def _translating(self) -> Iterator[None]:
        """Raise :mod:`aimu_core.errors` for whatever the SDK (or httpx, mid-stream) raised."""
        try:
            yield
        except Exception as exc:
            error = translate_sdk_error(exc, self._errors.secrets, self._error_for)
            if error is exc:
                raise
            raise error  # noqa: B904 - translate_sdk_error decided the chaining

    def _error_for(self, exc: BaseException, text: str) -> AimuError | None:
        """The aimu error for one SDK (or httpx) exception; ``None`` for anything else."""
        ctx = self._errors
        if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
            return timeout_error(ctx, self.timeout)
        if isinstance(exc, openai.APIConnectionError):
            return connection_error(ctx, str(exc.__cause__ or "") or exc.message)
        if isinstance(exc, openai.APIStatusError):
            return status_error(
                ctx,
                exc.status_code,
                _error_message(exc),
                code=exc.code,
                headers=exc.response.headers,
            )
        if isinstance(exc, openai.APIResponseValidationError):
            return invalid_response(ctx, exc.message)
        if isinstance(exc, openai.APIError):  # an error event in the middle of a stream
            return stream_error(ctx, _error_message(exc), exc.code)
        if isinstance(exc, json.JSONDecodeError):  # a JSON content type with a body that is not
            return invalid_response(ctx, f"invalid JSON ({text})")
        if isinstance(exc, httpx.TransportError):  # the connection broke while reading a stream
            return stream_interrupted(ctx, f"{type(exc).__name__}: {text}")
        return None

    def _completion(self, completion: Any) -> Delta:
        """The reply of a non-streamed call, checked to be a chat completion."""
        if not isinstance(getattr(completion, "choices", None), list):
            shown = completion[:200] if isinstance(completion, str) else type(completion).__name__
            raise invalid_response(self._errors, f"got {shown!r}")
        return _completion_delta(completion)

    def _check_finished(self, reader: _StreamReader) -> None:
        if not reader.chunks:
            raise invalid_response(self._errors, "the stream held no chat completion chunks")
        if not reader.finished:
            raise stream_interrupted(self._errors, "the stream ended without a finish reason")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(model={self.model.value!r}, base_url={self.base_url!r}, "
            f"messages={len(self.messages)})"
        )


def _adapt(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """History is already OpenAI's format; only an empty answer beside tool calls becomes null."""
    for message in messages:
        if message.get("tool_calls") and message.get("content") == "":
            message["content"] = None
    return messages


def _error_message(exc: openai.APIError) -> str:
    message = exc.body.get("message") if isinstance(exc.body, Mapping) else None
    return message if isinstance(message, str) else exc.message


def _reasoning(obj: Any) -> str:
    """Reasoning a server sent beside the answer (``reasoning_content`` or ``reasoning``)."""
    extra = obj.model_extra
    if extra:
        for field in _REASONING_FIELDS:
            value = extra.get(field)
            if value and isinstance(value, str):
                return value
    return ""


def _usage(usage: Any) -> dict[str, int] | None:
    if usage is None:
        return None
    out = {
        name: value
        for name in ("prompt_tokens", "completion_tokens", "total_tokens")
        if isinstance(value := getattr(usage, name, None), int)
    }
    details = getattr(usage, "completion_tokens_details", None)
    reasoning = getattr(details, "reasoning_tokens", None)
    if isinstance(reasoning, int) and reasoning:
        out["reasoning_tokens"] = reasoning
    return out or None


def _completion_delta(completion: Any) -> Delta:
    """A whole non-streamed reply as one :class:`Delta`."""
    usage = _usage(completion.usage)
    if not completion.choices:
        return Delta(usage=usage)
    choice = completion.choices[0]
    message = choice.message
    text = message.content or getattr(message, "refusal", None) or ""
    calls = []
    for index, call in enumerate(message.tool_calls or ()):
        function = getattr(call, "function", None)
        if function is not None:
            calls.append(ToolCallDelta(index, call.id, function.name, function.arguments))
    return Delta(
        text=text,
        thinking=_reasoning(message),
        tool_calls=calls,
        usage=usage,
        finish_reason=choice.finish_reason,
    )


class _StreamReader:
    """Turns ``chat.completion.chunk`` objects into :class:`Delta` pieces.

    Tool-call pieces keep the server's ``index``; a server that omits it
    (Gemini sends each call whole) gets one index per call ``id``.
    """

    __slots__ = ("_last_index", "_next_index", "chunks", "finished")

    def __init__(self) -> None:
        self.chunks = 0
        self.finished = False
        self._last_index = 0
        self._next_index = 0

    def feed(self, chunk: Any) -> Delta | None:
        self.chunks += 1
        usage = _usage(chunk.usage) if chunk.usage is not None else None
        if not chunk.choices:
            return Delta(usage=usage) if usage else None
        choice = chunk.choices[0]
        finish = choice.finish_reason
        if finish:
            self.finished = True
        delta = choice.delta
        if delta is None:
            return Delta(usage=usage, finish_reason=finish) if usage or finish else None
        text = delta.content or ""
        thinking = _reasoning(delta) if delta.model_extra else ""
        calls = self._calls(delta.tool_calls) if delta.tool_calls else []
        if not (text or thinking or calls or usage or finish):
            return None
        return Delta(text, thinking, calls, usage, finish)

    def _calls(self, pieces: list[Any]) -> list[ToolCallDelta]:
        calls = []
        for piece in pieces:
            index = piece.index
            if index is None:
                index = self._next_index if piece.id else self._last_index
            self._last_index = index
            self._next_index = max(self._next_index, index + 1)
            function = piece.function
            calls.append(
                ToolCallDelta(
                    index,
                    piece.id,
                    function.name if function is not None else None,
                    function.arguments if function is not None else None,
                )
            )
        return calls


# -- the generic clients -------------------------------------------------------------------


class OpenAICompatClient(_Endpoint, BaseModelClient):
    """A chat client for any server that speaks OpenAI's Chat Completions API.

    ``openai-compat:<model>@http://host:port/v1;tools,thinking,vision``. The
    other providers of this plugin are subclasses that know their server.

    Args:
        model: a catalog member, an ``AdHocModel`` or a model id.
        api_key: the key; else the provider's env var; local servers need none.
        base_url: the API root (``.../v1``); else the provider's env var or default.
        timeout: seconds (or an ``httpx.Timeout``) per request, for the SDK.
        max_retries: how often the SDK retries connection errors, 408/409/429 and 5xx.
        default_headers: extra HTTP headers on every request.
        stream_usage: ask for token usage at the end of streams (default True);
            False for servers that reject ``stream_options``.
        http_client: an ``httpx.Client`` to use (proxies, certificates).
        **kwargs: ``system_message``, ``tools``, ``mcp_client``, ``default_generate_kwargs``.

    Attributes:
        sdk_client: the ``openai.OpenAI`` client, for what aimu does not cover.
    """

    def __init__(
        self,
        model: Model | AdHocModel | ModelSpec | str,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        stream_usage: bool | None = None,
        http_client: httpx.Client | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(self._as_model(model), **kwargs)
        key = self._configure(api_key, base_url, timeout)
        if stream_usage is not None:
            self.stream_usage = stream_usage
        self.sdk_client = openai.OpenAI(
            **self._sdk_options(key, timeout, max_retries, default_headers, http_client)
        )
        self._scrub_sdk(self.sdk_client)

    def _chat(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]],
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> Iterator[Delta]:
        request = self._request(messages, tools, generate_kwargs, stream)
        completions = self.sdk_client.chat.completions
        with self._translating():
            if not stream:
                yield self._completion(completions.create(**request))
                return
            reader = _StreamReader()
            with completions.create(**request) as chunks:
                for chunk in chunks:
                    delta = reader.feed(chunk)
                    if delta is not None:
                        yield delta
        self._check_finished(reader)


class AsyncOpenAICompatClient(_Endpoint, AsyncBaseModelClient):
    """Async twin of :class:`OpenAICompatClient` (``openai.AsyncOpenAI``); same arguments."""

    def __init__(
        self,
        model: Model | AdHocModel | ModelSpec | str,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        stream_usage: bool | None = None,
        http_client: httpx.AsyncClient | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(self._as_model(model), **kwargs)
        key = self._configure(api_key, base_url, timeout)
        if stream_usage is not None:
            self.stream_usage = stream_usage
        options = self._sdk_options(key, timeout, max_retries, default_headers, http_client)
        self._sdk = LoopLocal(lambda: self._new_sdk(options))

    def _new_sdk(self, options: dict[str, Any]) -> openai.AsyncOpenAI:
        sdk = openai.AsyncOpenAI(**options)
        self._scrub_sdk(sdk)
        return sdk

    @property
    def sdk_client(self) -> openai.AsyncOpenAI:
        """The ``openai.AsyncOpenAI`` client of the running event loop (its connections
        belong to that loop), so one aimu client works across ``asyncio.run`` calls."""
        return self._sdk.get()

    async def _chat(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]],
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> AsyncIterator[Delta]:
        request = self._request(messages, tools, generate_kwargs, stream)
        completions = self.sdk_client.chat.completions
        with self._translating():
            if not stream:
                yield self._completion(await completions.create(**request))
                return
            reader = _StreamReader()
            async with await completions.create(**request) as chunks:
                async for chunk in chunks:
                    delta = reader.feed(chunk)
                    if delta is not None:
                        yield delta
        self._check_finished(reader)


# -- hosted APIs ---------------------------------------------------------------------------


class _OpenAIEndpoint(_Endpoint):
    provider = "openai"
    CATALOG = OpenAIModel
    GENERATE_KWARGS = _OPENAI_KWARGS
    NATIVE_KWARGS = _OPENAI_NATIVE
    DEFAULT_BASE_URL = _endpoints.OPENAI_URL
    BASE_URL_ENV = "OPENAI_BASE_URL"
    API_KEY_ENVS = ("OPENAI_API_KEY",)
    REQUIRES_API_KEY = True
    SENDS_OPENAI_ORG = True

    def _generate_kwargs_map(self) -> Mapping[str, str]:
        # o-series and GPT-5 reject temperature, top_p, stop and the penalties.
        return _OPENAI_REASONING_KWARGS if self.model.supports_thinking else _OPENAI_KWARGS


class OpenAIClient(_OpenAIEndpoint, OpenAICompatClient):
    """OpenAI (``openai:gpt-4o``): key from ``OPENAI_API_KEY``, URL from ``OPENAI_BASE_URL``."""


class AsyncOpenAIClient(_OpenAIEndpoint, AsyncOpenAICompatClient):
    """Async twin of :class:`OpenAIClient`."""


class _GeminiEndpoint(_Endpoint):
    provider = "gemini"
    CATALOG = GeminiModel
    NATIVE_KWARGS = _COMMON_NATIVE
    DEFAULT_BASE_URL = _endpoints.GEMINI_URL
    API_KEY_ENVS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    REQUIRES_API_KEY = True


class GeminiClient(_GeminiEndpoint, OpenAICompatClient):
    """Gemini through Google's OpenAI-compatible endpoint (``gemini:gemini-2.5-flash``, ``GEMINI_API_KEY``)."""


class AsyncGeminiClient(_GeminiEndpoint, AsyncOpenAICompatClient):
    """Async twin of :class:`GeminiClient`."""


# -- local servers -------------------------------------------------------------------------


class _LMStudioEndpoint(_Endpoint):
    provider = "lmstudio"
    GENERATE_KWARGS = _LLAMACPP_KWARGS
    DEFAULT_BASE_URL = _endpoints.LMSTUDIO_URL


class LMStudioClient(_LMStudioEndpoint, OpenAICompatClient):
    """LM Studio's local server (``lmstudio:<model>``, default http://localhost:1234/v1)."""


class AsyncLMStudioClient(_LMStudioEndpoint, AsyncOpenAICompatClient):
    """Async twin of :class:`LMStudioClient`."""


class _VLLMEndpoint(_Endpoint):
    provider = "vllm"
    GENERATE_KWARGS = _VLLM_KWARGS
    DEFAULT_BASE_URL = _endpoints.VLLM_URL
    API_KEY_ENVS = ("VLLM_API_KEY",)


class VLLMClient(_VLLMEndpoint, OpenAICompatClient):
    """A vLLM server (``vllm:<model>``, default http://localhost:8000/v1; key from ``VLLM_API_KEY``)."""


class AsyncVLLMClient(_VLLMEndpoint, AsyncOpenAICompatClient):
    """Async twin of :class:`VLLMClient`."""


class _LlamaServerEndpoint(_Endpoint):
    provider = "llamaserver"
    GENERATE_KWARGS = _LLAMACPP_KWARGS
    DEFAULT_BASE_URL = _endpoints.LLAMASERVER_URL
    API_KEY_ENVS = ("LLAMA_API_KEY",)


class LlamaServerClient(_LlamaServerEndpoint, OpenAICompatClient):
    """llama.cpp's llama-server (``llamaserver:<model>``, default http://localhost:8080/v1)."""


class AsyncLlamaServerClient(_LlamaServerEndpoint, AsyncOpenAICompatClient):
    """Async twin of :class:`LlamaServerClient`."""


class _SGLangEndpoint(_Endpoint):
    provider = "sglang"
    GENERATE_KWARGS = _VLLM_KWARGS
    DEFAULT_BASE_URL = _endpoints.SGLANG_URL


class SGLangClient(_SGLangEndpoint, OpenAICompatClient):
    """An SGLang server (``sglang:<model>``, default http://localhost:30000/v1)."""


class AsyncSGLangClient(_SGLangEndpoint, AsyncOpenAICompatClient):
    """Async twin of :class:`SGLangClient`."""
