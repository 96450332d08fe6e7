"""``OllamaClient`` and ``AsyncOllamaClient``: Ollama models through the official ``ollama`` SDK.

Both implement aimu's one-method provider contract (``_chat``, plus
``_generate`` on ``/api/generate``) in the class they share,
:class:`OllamaClientBase`; each twin only names its SDK client class and its
call loop (:func:`~aimu_core.provider.sdk_deltas` or ``async_sdk_deltas``).
Thinking comes from Ollama's own ``thinking`` field (requested with ``think``
for thinking models), portable generation kwargs become Ollama ``options``
(``max_tokens`` -> ``num_predict``, ``context_length`` -> ``num_ctx``), and
tool calls, which Ollama sends whole and without ids, get stable ids and
running indexes across the stream.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, ClassVar

import ollama
from pydantic import SecretStr

from aimu_core.provider import (
    PORTABLE_KWARGS,
    AdHocModel,
    AsyncBaseModelClient,
    BaseModelClient,
    ConfigurationError,
    Delta,
    ErrorContext,
    ImageInput,
    LoopLocal,
    Model,
    NativeSchema,
    OutputSchema,
    ToolCallDelta,
    async_sdk_deltas,
    image_part,
    invalid_response,
    sdk_deltas,
    stream_interrupted,
)

from ._errors import HINTS, ollama_error
from ._host import credentials, resolve_host
from ._messages import adapt_messages, image_payload

__all__ = ["AsyncOllamaClient", "OllamaClient", "OllamaClientBase"]

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


class OllamaClientBase:
    """Everything the sync and async Ollama clients share; they add only their SDK and loop.

    Args:
        model: a catalog member or ad-hoc model (the factory passes it).
        base_url: the server; defaults to ``OLLAMA_HOST``, else ``http://127.0.0.1:11434``
            (also set by a model string's ``@url``). A ``user:password@`` in it is
            sent as HTTP basic auth, kept as a ``SecretStr`` and shown as ``***``.
        api_key: a bearer token for servers behind authentication; defaults to
            ``OLLAMA_API_KEY`` (which the SDK would read by itself: read here, so
            that it is redacted too); kept as a ``SecretStr``.
        timeout: seconds per request; ``None`` waits as long as a model takes to load.
        **kwargs: the base client's (``system_message``, ``tools``, ``mcp_client``,
            ``default_generate_kwargs``).
    """

    provider = "ollama"
    #: Every portable kwarg is an Ollama option; two have other names there.
    GENERATE_KWARGS: Mapping[str, str] = {
        **{name: name for name in PORTABLE_KWARGS},
        "max_tokens": "num_predict",
        "context_length": "num_ctx",
    }
    #: ``think`` (bool, or "low"/"medium"/"high" for models with levels), ``format``
    #: ("json" or a JSON schema), ``keep_alive``, and Ollama's own option names.
    NATIVE_KWARGS = OPTION_KWARGS | _REQUEST_KWARGS

    #: What a twin names: its SDK client class, and the call loop that fits it.
    _SDK: ClassVar[type[Any]]
    _deltas: ClassVar[Callable[..., Any]]

    model: Model | AdHocModel
    system_message: str | None

    def __init__(
        self,
        model: Model | AdHocModel,
        *,
        base_url: str | None = None,
        api_key: str | SecretStr | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, **kwargs)  # type: ignore[call-arg]  # the base client's
        self.base_url = resolve_host(base_url)
        self.timeout = timeout
        if isinstance(api_key, SecretStr):
            api_key = api_key.get_secret_value()
        key = api_key or os.environ.get("OLLAMA_API_KEY")
        self._api_key = SecretStr(key) if key else None
        login = credentials(base_url)
        self._auth = (login[0], SecretStr(login[1])) if login else None
        secrets = (self._api_key, self._auth[1]) if self._auth else (self._api_key,)
        self._errors = ErrorContext(
            self.provider,
            model.value,
            self.base_url,
            name="Ollama",
            key_envs=("OLLAMA_API_KEY",),
            secrets=tuple(s for s in secrets if s is not None),
            hints=HINTS,
            max_retries=False,  # the ollama SDK does not retry
        )
        # The async SDK client's connections belong to one event loop: one per loop.
        # The sync one, used outside any loop, is made once.
        self._sdk = LoopLocal(self._new_sdk)

    def _new_sdk(self) -> Any:
        options: dict[str, Any] = {"host": self.base_url}
        if self.timeout is not None:
            options["timeout"] = self.timeout
        if self._api_key is not None:
            options["headers"] = {"Authorization": f"Bearer {self._api_key.get_secret_value()}"}
        if self._auth is not None:
            options["auth"] = (self._auth[0], self._auth[1].get_secret_value())
        return self._SDK(**options)

    # The return type is the twin's: an iterator of deltas, or an async one.
    def _chat(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]],
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> Any:
        request = self._request(generate_kwargs, messages=adapt_messages(messages))
        if tools:
            request["tools"] = tools
        reader = _Reader(len(messages), self._errors)
        return self._call(self._sdk.get().chat, request, reader.chat, reader.finish, stream)

    def _generate(
        self,
        prompt: str,
        *,
        images: list[ImageInput] | None,
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> Any:
        request = self._request(generate_kwargs, prompt=prompt)
        if self.system_message:
            request["system"] = self.system_message
        if images:
            request["images"] = [image_payload(image_part(i)["image_url"]["url"]) for i in images]
        reader = _Reader(0, self._errors)
        return self._call(self._sdk.get().generate, request, reader.generate, reader.finish, stream)

    def _native_schema(self, schema: OutputSchema) -> NativeSchema:
        """``schema=`` as Ollama's ``format`` (a JSON schema the server constrains output to)."""
        return NativeSchema(kwargs={"format": schema.json_schema})

    def _request(self, kwargs: dict[str, Any], **fields: Any) -> dict[str, Any]:
        """*fields* plus what chat and generate share: model, options, think, format, keep_alive."""
        request: dict[str, Any] = {"model": self.model.value, **fields}
        options = {k: v for k, v in kwargs.items() if k not in _REQUEST_KWARGS}
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

    def _call(
        self,
        method: Callable[..., Any],
        request: dict[str, Any],
        read: Callable[[Any], Delta | None],
        finish: Callable[[], None],
        stream: bool,
    ) -> Any:
        if not stream:  # a whole reply is the final part: it must say done
            read = partial(_whole, read, self._errors)
        return self._deltas(
            lambda: method(**request, stream=stream),
            read,
            stream=stream,
            translate=partial(ollama_error, self._errors, streaming=stream, timeout=self.timeout),
            secrets=self._errors.secrets,
            finish=finish,
        )


def _whole(read: Callable[[Any], Delta | None], ctx: ErrorContext, reply: Any) -> Delta | None:
    """*read* a non-streamed reply, which Ollama sends done: one with ``done`` false is not whole."""
    if getattr(reply, "done", None) is not True:
        raise invalid_response(ctx, "a reply with done=false", "a finished Ollama reply")
    return read(reply)


class _Reader:
    """Turns Ollama chat or generate responses (whole or streamed parts) into deltas.

    Ollama sends each tool call whole, sometimes one per part, after parts
    with empty content; every call gets the next running index and an id
    that is stable for its place in the conversation.
    """

    __slots__ = ("_calls", "_ctx", "_prefix", "done")

    def __init__(self, turn: int, ctx: ErrorContext) -> None:
        self._prefix = f"call_{turn}_"
        self._ctx = ctx
        self._calls = 0
        self.done = False

    def chat(self, part: Any) -> Delta | None:
        message = part.message
        if not (part.done or message.tool_calls):  # the common case: a piece of text or thinking
            if message.thinking:
                return Delta(text=message.content or "", thinking=message.thinking)
            return Delta(message.content) if message.content else None
        calls = [
            ToolCallDelta(
                index=index,
                id=f"{self._prefix}{index}",
                name=call.function.name,
                arguments=dict(call.function.arguments or {}),
            )
            for index, call in enumerate(message.tool_calls or (), start=self._calls)
        ]
        self._calls += len(calls)
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
            raise stream_interrupted(self._ctx, "the stream ended before its final part")


class OllamaClient(OllamaClientBase, BaseModelClient):
    """A stateful chat client for one Ollama model (options: :class:`OllamaClientBase`)."""

    _SDK = ollama.Client
    _deltas = staticmethod(sdk_deltas)


class AsyncOllamaClient(OllamaClientBase, AsyncBaseModelClient):
    """The async twin of :class:`OllamaClient` (same options), on ``ollama.AsyncClient``."""

    _SDK = ollama.AsyncClient
    _deltas = staticmethod(async_sdk_deltas)
