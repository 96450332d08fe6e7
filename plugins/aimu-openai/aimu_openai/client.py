"""The sync and async Chat Completions clients of every provider of this plugin.

This is the one module of the plugin that imports the ``openai`` SDK; aimu
imports it only when a client of one of these providers is built.

:class:`OpenAICompatClient` and :class:`AsyncOpenAICompatClient` are the whole
client. What they share is in :class:`_ChatCompletions`: the constructor, which
settles base URL, key and kwargs vocabulary from the class's
:class:`~aimu_openai._endpoints.Endpoint` record; the request (the history is
already OpenAI's format); the reading of a reply, streamed or not, into
:class:`Delta` pieces (answer text, reasoning from ``reasoning_content`` or
``reasoning`` fields, tool-call pieces, usage; tagged ``<think>`` reasoning is
left in the text for the core to split); and the SDK's exceptions as facts for
:mod:`aimu_core.http_errors`. The twins only make the SDK client and call it.
Every other provider's class is the pair bound to its endpoint record, in a
line each at the end of this module.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar, cast

import openai
from pydantic import SecretStr

from aimu_core.provider import (
    AdHocModel,
    AimuError,
    AsyncBaseModelClient,
    AuthenticationError,
    BaseModelClient,
    ConfigurationError,
    Delta,
    ErrorContext,
    ImageInput,
    LoopLocal,
    Model,
    ModelSpec,
    NativeSchema,
    OutputSchema,
    ToolCallDelta,
    async_sdk_deltas,
    connection_error,
    invalid_response,
    mask_url,
    sdk_deltas,
    status_error,
    stream_error,
    stream_interrupted,
    timeout_error,
    transport_error,
    url_basic_auth,
    url_secrets,
)

from ._endpoints import ENDPOINTS, Endpoint

if TYPE_CHECKING:
    import httpx

__all__ = [
    "PLACEHOLDER_API_KEY",
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

#: What ``chat.completions.create`` takes by name: the standard names and OpenAI's own
#: vocabulary. Other kwargs travel in ``extra_body``.
_SDK_PARAMS = frozenset(ENDPOINTS["openai-compat"].kwargs.values()) | (
    ENDPOINTS["openai"].native - {"extra_body"}
)
#: What ``completions.create`` takes by name; other kwargs travel in ``extra_body``.
_COMPLETIONS_PARAMS = frozenset(
    "max_tokens temperature top_p stop seed presence_penalty frequency_penalty logit_bias"
    " logprobs user extra_headers extra_query".split()
)
#: Chat-only kwargs a raw completion has no use for.
_CHAT_ONLY = frozenset(
    "response_format tool_choice parallel_tool_calls reasoning_effort chat_template_kwargs"
    " top_logprobs".split()
)
#: Only meaningful when tools are offered; OpenAI rejects them otherwise.
_TOOL_KWARGS = ("tool_choice", "parallel_tool_calls")
#: Where servers put reasoning that is not in the answer text, most common first.
_REASONING_FIELDS = ("reasoning_content", "reasoning")
#: Secrets the SDK reads from the environment by itself: known here so that they are redacted.
_SDK_SECRET_ENVS = ("OPENAI_ADMIN_KEY", "OPENAI_WEBHOOK_SECRET")
#: ``default_headers`` whose values are credentials (by name, case-insensitive).
_SECRET_HEADER = ("auth", "key", "token", "secret", "cookie")
#: What every reply should be; named when a server answers with something else.
_EXPECTED = "a Chat Completions response"
_EXPECTED_TEXT = "a Completions (text_completion) response"
#: Local servers list their models at /v1/models; a base URL missing /v1 is the usual 404.
_HINTS = {
    404: "Check the model id (`aimu models` lists the catalog; a local server lists its own "
    "at /v1/models) and that the base URL ends where the API starts (usually /v1)."
}

_Dicts = list[dict[str, Any]]
_SDK = TypeVar("_SDK", openai.OpenAI, openai.AsyncOpenAI)


class _ChatCompletions:
    """What the sync and async clients share: the constructor and everything I/O-free.

    The class attributes come from :attr:`endpoint`; :meth:`serving` makes the
    subclass for another provider.
    """

    endpoint: ClassVar[Endpoint] = ENDPOINTS["openai-compat"]
    provider: ClassVar[str] = endpoint.name
    GENERATE_KWARGS: ClassVar[Mapping[str, str]] = endpoint.kwargs
    NATIVE_KWARGS: ClassVar[frozenset[str]] = endpoint.native
    #: Ask for a usage chunk at the end of a stream (``stream_options.include_usage``);
    #: ``stream_usage=False`` for a server that rejects ``stream_options``.
    stream_usage: bool = True

    model: Model | AdHocModel
    messages: _Dicts

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
        http_client: httpx.Client | httpx.AsyncClient | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(self._as_model(model), **kwargs)  # type: ignore[call-arg]
        endpoint = self.endpoint
        env_url = os.environ.get(endpoint.base_url_env) if endpoint.base_url_env else None
        url = base_url or env_url or endpoint.base_url
        if not url:
            raise ConfigurationError(
                f"Provider {self.provider!r} needs a base URL: write "
                f"{self.provider}:{self.model.value}@http://host:port/v1 or pass base_url="
            )
        if isinstance(api_key, SecretStr):
            api_key = api_key.get_secret_value()
        key = api_key or next((os.environ[e] for e in endpoint.key_envs if os.environ.get(e)), "")
        if not key and endpoint.requires_key:
            raise AuthenticationError(
                f"Provider {self.provider!r} needs an API key: set "
                f"{' or '.join(endpoint.key_envs)} or pass api_key=",
                provider=self.provider,
            )
        self.base_url = mask_url(url)
        self.timeout = timeout
        # A user:password@ goes to the SDK as a header, not in the URL, which it logs.
        sdk_url, basic = url_basic_auth(url)
        self._url = SecretStr(sdk_url or url)
        self._api_key = SecretStr(key or PLACEHOLDER_API_KEY)
        # Every header value is held as a secret; those named like credentials are redacted.
        self._headers = {name: SecretStr(value) for name, value in (default_headers or {}).items()}
        if basic is not None:
            self._headers.setdefault("Authorization", basic)
        secrets = (
            *((self._api_key,) if key else ()),
            *(v for n, v in self._headers.items() if any(w in n.lower() for w in _SECRET_HEADER)),
            *(SecretStr(os.environ[e]) for e in _SDK_SECRET_ENVS if os.environ.get(e)),
            *url_secrets(url),
        )
        self._errors = ErrorContext(
            self.provider,
            self.model.value,
            self.base_url,
            key_envs=endpoint.key_envs,
            secrets=secrets,
            hints=_HINTS,
        )
        if endpoint.thinking_kwargs is not None and self.model.supports_thinking:
            self.GENERATE_KWARGS = endpoint.thinking_kwargs  # type: ignore[misc]
        if stream_usage is not None:
            self.stream_usage = stream_usage
        options = {"timeout": timeout, "max_retries": max_retries, "http_client": http_client}
        # None means "the SDK's default" here; the SDK would read timeout=None as "no timeout".
        self._options = {name: value for name, value in options.items() if value is not None}
        self._open_sdk()

    def _sdk_options(self) -> dict[str, Any]:
        """The SDK client's arguments, secrets revealed only now (they are held as SecretStr)."""
        options = {
            "api_key": self._api_key.get_secret_value(),
            "base_url": self._url.get_secret_value(),
            **self._options,
        }
        if self._headers:
            options["default_headers"] = {n: v.get_secret_value() for n, v in self._headers.items()}
        return options

    def _open_sdk(self) -> None:
        """Make the SDK client (each twin its own kind)."""
        raise NotImplementedError

    @classmethod
    def serving(cls, name: str) -> type[Self]:
        """This client class bound to the provider *name* of :data:`ENDPOINTS`."""
        endpoint = ENDPOINTS[name]
        prefix = "Async" if issubclass(cls, AsyncBaseModelClient) else ""
        class_name = f"{prefix}{endpoint.classes}Client"
        namespace = {
            "__module__": __name__,
            "__qualname__": class_name,
            "__doc__": f"{endpoint.description}; the arguments of :class:`{cls.__name__}`.",
            "endpoint": endpoint,
            "provider": endpoint.name,
            "GENERATE_KWARGS": endpoint.kwargs,
            "NATIVE_KWARGS": endpoint.native,
        }
        return cast("type[Self]", type(class_name, (cls,), namespace))

    @classmethod
    def _as_model(cls, model: Model | AdHocModel | ModelSpec | str) -> Model | AdHocModel:
        """Accept a plain model id too, for clients built directly rather than by the factory."""
        if isinstance(model, ModelSpec):
            model = model.id
        if not isinstance(model, str):
            return model
        member = cls.endpoint.catalog.by_id(model) if cls.endpoint.catalog else None
        return member if member is not None else AdHocModel(ModelSpec(model))

    def _scrubbed(self, sdk: _SDK) -> _SDK:
        # The SDK adds OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment as
        # headers; they are OpenAI's business, not Gemini's or a local server's.
        if not self.endpoint.sends_openai_org:
            sdk.organization = None
            sdk.project = None
        return sdk

    def _native_schema(self, schema: OutputSchema) -> NativeSchema:
        """``schema=`` as ``response_format`` json_schema (OpenAI and compatible servers)."""
        return NativeSchema(
            kwargs={
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": schema.name, "schema": schema.json_schema},
                }
            }
        )

    def _request(
        self, messages: _Dicts, tools: _Dicts, generate_kwargs: dict[str, Any], stream: bool
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

    def _completions(self, images: Any, generate_kwargs: dict[str, Any]) -> bool:
        """Whether ``generate()`` goes to ``/v1/completions``: on local servers, for text
        (images and structured output need the chat endpoint)."""
        return self.endpoint.completions and not images and "response_format" not in generate_kwargs

    def _completion_request(
        self, prompt: str, generate_kwargs: dict[str, Any], stream: bool
    ) -> dict[str, Any]:
        """The keyword arguments of ``completions.create`` for one raw completion."""
        request: dict[str, Any] = {"model": self.model.value, "prompt": prompt}
        extra_body: dict[str, Any] = {}
        for key, value in generate_kwargs.items():
            if key in _CHAT_ONLY or key == "extra_body":
                continue
            (request if key in _COMPLETIONS_PARAMS else extra_body)[key] = value
        extra_body.update(generate_kwargs.get("extra_body") or {})
        if extra_body:
            request["extra_body"] = extra_body
        if stream:
            request["stream"] = True
            if self.stream_usage:
                request["stream_options"] = {"include_usage": True}
        return request

    def _completion_reading(self, stream: bool) -> dict[str, Any]:
        """:meth:`_reading` for a raw completion's ``text_completion`` objects."""
        reader = _TextCompletionReader(self._errors)
        return {**self._reading(stream), "read": reader.feed, "finish": reader.finish}

    def _reading(self, stream: bool) -> dict[str, Any]:
        """How to read one reply: the arguments of :func:`sdk_deltas` (or its twin) but the call."""
        reader = _StreamReader(self._errors)
        return {
            "read": reader.feed if stream else self._completion,
            "stream": stream,
            "translate": partial(self._error_for, streaming=stream),
            "secrets": self._errors.secrets,
            "finish": reader.finish,
        }

    def _error_for(self, exc: BaseException, text: str, *, streaming: bool) -> AimuError | None:
        """The facts of one openai SDK exception, as an aimu error; ``None`` for anything else."""
        ctx = self._errors
        if isinstance(exc, openai.APITimeoutError):
            return timeout_error(ctx, self.timeout)
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__  # a body cut half-way is wrapped like a refused connection
            found = cause and transport_error(ctx, cause, streaming=streaming, timeout=self.timeout)
            return found or connection_error(ctx, str(cause or "") or exc.message)
        if isinstance(exc, openai.APIStatusError):
            message, headers = _error_message(exc), exc.response.headers
            return status_error(ctx, exc.status_code, message, code=exc.code, headers=headers)
        if isinstance(exc, openai.APIResponseValidationError):
            return invalid_response(ctx, exc.message, _EXPECTED)
        if isinstance(exc, openai.APIError):  # an error event in the middle of a stream
            return stream_error(ctx, _error_message(exc), exc.code)
        if isinstance(exc, json.JSONDecodeError):  # a JSON content type with a body that is not
            return invalid_response(ctx, f"invalid JSON ({text})", _EXPECTED)
        # httpx's own errors reach us while a stream is read: timeouts, cut connections.
        return transport_error(ctx, exc, streaming=streaming, timeout=self.timeout)

    def _completion(self, completion: Any) -> Delta:
        """The reply of a non-streamed call, checked to be a chat completion."""
        if not isinstance(getattr(completion, "choices", None), list):
            shown = completion[:200] if isinstance(completion, str) else type(completion).__name__
            raise invalid_response(self._errors, f"got {shown!r}", _EXPECTED)
        return _completion_delta(completion)

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
    return Delta(text, _reasoning(message), calls, usage, choice.finish_reason)


class _StreamReader:
    """Turns ``chat.completion.chunk`` objects into :class:`Delta` pieces.

    Tool-call pieces keep the server's ``index``; a server that omits it
    (Gemini sends each call whole) gets one index per call ``id``.
    """

    __slots__ = ("_errors", "_last_index", "_next_index", "chunks", "finished")

    def __init__(self, errors: ErrorContext) -> None:
        self._errors = errors
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

    def finish(self) -> None:
        """Check, after the last chunk, that the stream held a whole reply."""
        if not self.chunks:
            raise invalid_response(
                self._errors, "the stream held no chat completion chunks", _EXPECTED
            )
        if not self.finished:
            raise stream_interrupted(self._errors, "the stream ended without a finish reason")

    def _calls(self, pieces: list[Any]) -> list[ToolCallDelta]:
        calls = []
        for piece in pieces:
            index = piece.index
            if index is None:
                index = self._next_index if piece.id else self._last_index
            self._last_index = index
            self._next_index = max(self._next_index, index + 1)
            function = piece.function
            name, arguments = (function.name, function.arguments) if function else (None, None)
            calls.append(ToolCallDelta(index, piece.id, name, arguments))
        return calls


class _TextCompletionReader:
    """Turns ``text_completion`` objects (whole, or streamed chunks) into :class:`Delta` pieces."""

    __slots__ = ("_errors", "chunks", "finished")

    def __init__(self, errors: ErrorContext) -> None:
        self._errors = errors
        self.chunks = 0
        self.finished = False

    def feed(self, part: Any) -> Delta | None:
        choices = getattr(part, "choices", None)
        if not isinstance(choices, list):
            shown = part[:200] if isinstance(part, str) else type(part).__name__
            raise invalid_response(self._errors, f"got {shown!r}", _EXPECTED_TEXT)
        self.chunks += 1
        usage = _usage(part.usage) if part.usage is not None else None
        if not choices:
            return Delta(usage=usage) if usage else None
        choice = choices[0]
        if choice.finish_reason:
            self.finished = True
        text = choice.text or ""
        if not (text or usage or choice.finish_reason):
            return None
        return Delta(text=text, usage=usage, finish_reason=choice.finish_reason)

    def finish(self) -> None:
        """Check, after the last chunk, that the stream held a whole reply."""
        if not self.chunks:
            raise invalid_response(self._errors, "the stream held no completion", _EXPECTED_TEXT)
        if not self.finished:
            raise stream_interrupted(self._errors, "the stream ended without a finish reason")


# -- the clients -------------------------------------------------------------------------------


class OpenAICompatClient(_ChatCompletions, BaseModelClient):
    """A chat client for any server that speaks OpenAI's Chat Completions API.

    ``openai-compat:<model>@http://host:port/v1;tools,thinking,vision``. The
    other providers' classes are this one bound to their endpoint record.

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

    sdk_client: openai.OpenAI

    def _open_sdk(self) -> None:
        self.sdk_client = self._scrubbed(openai.OpenAI(**self._sdk_options()))

    def _chat(
        self, messages: _Dicts, *, tools: _Dicts, generate_kwargs: dict[str, Any], stream: bool
    ) -> Iterator[Delta]:
        request = self._request(messages, tools, generate_kwargs, stream)
        create = self.sdk_client.chat.completions.create
        return sdk_deltas(lambda: create(**request), **self._reading(stream))

    def _generate(
        self,
        prompt: str,
        *,
        images: list[ImageInput] | None,
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> Iterator[Delta]:
        if not self._completions(images, generate_kwargs):
            return super()._generate(
                prompt, images=images, generate_kwargs=generate_kwargs, stream=stream
            )
        request = self._completion_request(prompt, generate_kwargs, stream)
        create = self.sdk_client.completions.create
        return sdk_deltas(lambda: create(**request), **self._completion_reading(stream))


class AsyncOpenAICompatClient(_ChatCompletions, AsyncBaseModelClient):
    """Async twin of :class:`OpenAICompatClient` (``openai.AsyncOpenAI``); same arguments,
    with an ``httpx.AsyncClient`` as ``http_client``."""

    def _open_sdk(self) -> None:
        self._sdk = LoopLocal(lambda: self._scrubbed(openai.AsyncOpenAI(**self._sdk_options())))

    @property
    def sdk_client(self) -> openai.AsyncOpenAI:
        """The ``openai.AsyncOpenAI`` client of the running event loop (its connections
        belong to that loop), so one aimu client works across ``asyncio.run`` calls."""
        return self._sdk.get()

    def _chat(
        self, messages: _Dicts, *, tools: _Dicts, generate_kwargs: dict[str, Any], stream: bool
    ) -> AsyncIterator[Delta]:
        request = self._request(messages, tools, generate_kwargs, stream)
        # The SDK client is looked up when the call is made, inside the caller's event loop.
        call = lambda: self.sdk_client.chat.completions.create(**request)  # noqa: E731
        return async_sdk_deltas(call, **self._reading(stream))

    def _generate(
        self,
        prompt: str,
        *,
        images: list[ImageInput] | None,
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> AsyncIterator[Delta]:
        if not self._completions(images, generate_kwargs):
            return super()._generate(
                prompt, images=images, generate_kwargs=generate_kwargs, stream=stream
            )
        request = self._completion_request(prompt, generate_kwargs, stream)
        call = lambda: self.sdk_client.completions.create(**request)  # noqa: E731
        return async_sdk_deltas(call, **self._completion_reading(stream))


def _twins(name: str) -> tuple[type[OpenAICompatClient], type[AsyncOpenAICompatClient]]:
    return OpenAICompatClient.serving(name), AsyncOpenAICompatClient.serving(name)


OpenAIClient, AsyncOpenAIClient = _twins("openai")
GeminiClient, AsyncGeminiClient = _twins("gemini")
LMStudioClient, AsyncLMStudioClient = _twins("lmstudio")
VLLMClient, AsyncVLLMClient = _twins("vllm")
LlamaServerClient, AsyncLlamaServerClient = _twins("llamaserver")
SGLangClient, AsyncSGLangClient = _twins("sglang")
