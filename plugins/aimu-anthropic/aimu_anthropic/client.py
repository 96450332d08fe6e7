"""``AnthropicClient`` and ``AsyncAnthropicClient``: Claude through the official ``anthropic`` SDK.

Both implement aimu's one-method provider contract (``_chat``) in the class
they share, :class:`AnthropicClientBase`; each twin only names its SDK client
class and its call loop (:func:`~aimu_core.provider.sdk_deltas` or
``async_sdk_deltas``). History stays in OpenAI format and is adapted on every
request (:mod:`._messages`); replies are read from the raw event stream
(:mod:`._reply`), so text, thinking and tool-call input are yielded as they
arrive; SDK exceptions become aimu errors through :mod:`._errors`.
"""

from __future__ import annotations

import os
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, ClassVar

import anthropic
from pydantic import SecretStr

from aimu_core.provider import (
    AdHocModel,
    AsyncBaseModelClient,
    BaseModelClient,
    ConfigurationError,
    ErrorContext,
    LoopLocal,
    Model,
    NativeSchema,
    OutputSchema,
    async_sdk_deltas,
    mask_url,
    sdk_deltas,
    url_basic_auth,
    url_secrets,
)

from ._errors import anthropic_error
from ._messages import Json, adapt_messages, adapt_tools
from ._reply import ReplyReader, SignedThinking

__all__ = ["AnthropicClient", "AnthropicClientBase", "AsyncAnthropicClient"]

_DEFAULT_BASE_URL = "https://api.anthropic.com"
#: Secrets the SDK reads from the environment by itself: known here so that they are redacted.
_SDK_SECRET_ENVS = ("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_WEBHOOK_SIGNING_KEY")
#: Sampling settings Anthropic refuses while thinking is on.
_SAMPLING = ("temperature", "top_p", "top_k")
_warned: set[str] = set()


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, UserWarning, stacklevel=5)


class AnthropicClientBase:
    """Everything the sync and async Claude clients share; they add only their SDK and loop.

    Args:
        model: a catalog member or ad-hoc model (the factory passes it).
        api_key: defaults to ``ANTHROPIC_API_KEY``; kept as a ``SecretStr``.
        base_url: another endpoint (a proxy, a gateway, a test server);
            defaults to ``ANTHROPIC_BASE_URL`` or Anthropic's API. A
            ``user:password@`` in it is a secret: ``self.base_url`` shows it as ``***``.
        timeout: seconds per request (the SDK's default when ``None``).
        max_retries: retries of failed requests (the SDK's default, 2, when ``None``).
        **kwargs: the base client's (``system_message``, ``tools``, ``mcp_client``,
            ``default_generate_kwargs``).
    """

    provider = "anthropic"
    GENERATE_KWARGS: Mapping[str, str] = {
        "temperature": "temperature",
        "top_p": "top_p",
        "top_k": "top_k",
        "max_tokens": "max_tokens",
        "stop": "stop_sequences",
    }
    #: ``thinking_budget``: tokens Claude may think for (>= 1024), ``0`` to turn
    #: thinking off, ``"adaptive"`` to let the model decide. The rest are passed
    #: to ``messages.create`` as they are.
    NATIVE_KWARGS = frozenset({"thinking_budget", "tool_choice", "metadata", "service_tier"})
    #: Anthropic requires ``max_tokens``; this is used when none is given.
    DEFAULT_MAX_TOKENS = 4096
    #: Thinking budget of thinking models when ``thinking_budget`` is not given.
    DEFAULT_THINKING_BUDGET = 2048

    #: What a twin names: its SDK client class, and the call loop that fits it.
    _SDK: ClassVar[type[Any]]
    _deltas: ClassVar[Callable[..., Any]]

    model: Model | AdHocModel

    def __init__(
        self,
        model: Model | AdHocModel,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, **kwargs)  # type: ignore[call-arg]  # the base client's
        if isinstance(api_key, SecretStr):
            api_key = api_key.get_secret_value()
        key = api_key if api_key is not None else os.environ.get("ANTHROPIC_API_KEY")
        self._api_key = SecretStr(key) if key else None
        url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or _DEFAULT_BASE_URL
        # A user:password@ goes to the SDK as a header, not in the URL, which it logs.
        sdk_url, self._basic = url_basic_auth(url)
        self._url = SecretStr(sdk_url or url)
        self.base_url = mask_url(url)
        self.timeout = timeout
        self.max_retries = max_retries
        from_env = (SecretStr(os.environ[e]) for e in _SDK_SECRET_ENVS if os.environ.get(e))
        secrets = (
            *((self._api_key,) if self._api_key is not None else ()),
            *from_env,
            *url_secrets(url),
        )
        self._errors = ErrorContext(
            self.provider,
            model.value,
            self.base_url,
            name="Anthropic",
            key_envs=("ANTHROPIC_API_KEY",),
            secrets=secrets,
        )
        self._signed: SignedThinking = OrderedDict()
        # Made on first use, inside the error translation (the SDK may raise while
        # resolving credentials), and once per event loop: the async SDK client's
        # connections belong to one loop. The sync one, used outside any loop, is made once.
        self._sdk = LoopLocal(self._new_sdk)

    def _new_sdk(self) -> Any:
        key = self._api_key.get_secret_value() if self._api_key is not None else None
        options: dict[str, Any] = {
            "api_key": key,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
        }
        # None leaves the SDK its default (or, for the key, its own ways of finding one).
        given = {name: value for name, value in options.items() if value is not None}
        if self._basic is not None:
            given["default_headers"] = {"Authorization": self._basic.get_secret_value()}
        return self._SDK(base_url=self._url.get_secret_value(), **given)

    # The return type is the twin's: an iterator of deltas, or an async one.
    def _chat(
        self, messages: list[Json], *, tools: list[Json], generate_kwargs: Json, stream: bool
    ) -> Any:
        params = self._params(messages, tools, generate_kwargs)
        if stream:  # only then: a non-streamed request is the SDK's plain one
            params["stream"] = True
        reply = ReplyReader(self._signed, self._errors)
        return self._deltas(
            lambda: self._sdk.get().messages.create(**params),
            reply.feed if stream else reply.message,
            stream=stream,
            translate=partial(
                anthropic_error, self._errors, streaming=stream, timeout=self.timeout
            ),
            secrets=self._errors.secrets,
            finish=reply.finish,
        )

    def _native_schema(self, schema: OutputSchema) -> NativeSchema:
        """``schema=`` as a forced tool: Claude must call a tool (the output tool, offered
        with the others), and the output tool's input is the answer."""
        return NativeSchema(kwargs={"tool_choice": {"type": "any"}}, as_tool=True)

    def _params(self, messages: list[Json], tools: list[Json], kwargs: Json) -> Json:
        """The keyword arguments of one ``messages.create`` call."""
        kwargs = dict(kwargs)
        budget = kwargs.pop("thinking_budget", None)
        if budget is None:
            budget = self.DEFAULT_THINKING_BUDGET if self.model.supports_thinking else 0
        thinking = _thinking_config(budget)
        forced = kwargs.get("tool_choice")
        if thinking and isinstance(forced, dict) and forced.get("type") in ("any", "tool"):
            _warn_once(
                "tool_choice",
                "Anthropic cannot think while a tool is forced (tool_choice 'any' or 'tool'); "
                "thinking is off for those requests.",
            )
            thinking = None
        max_tokens = kwargs.pop("max_tokens", None) or self.DEFAULT_MAX_TOKENS
        if thinking and thinking["type"] == "enabled":
            # max_tokens caps the answer; the thinking budget comes on top of it,
            # so a small max_tokens neither starves nor invalidates thinking.
            max_tokens += thinking["budget_tokens"]
        sampling = {k: kwargs.pop(k) for k in _SAMPLING if k in kwargs}
        if thinking and sampling:
            for name, value in sampling.items():
                if (name, value) != ("temperature", 1):  # what thinking samples at anyway
                    _warn_once(
                        name,
                        f"Anthropic does not allow {name}={value} while thinking (it samples at "
                        "temperature=1); it is ignored. Pass thinking_budget=0 to turn thinking off.",
                    )
            sampling = {}
        system, wire = adapt_messages(messages, self._signed if thinking else None)
        params = {"model": self.model.value, "max_tokens": max_tokens, "messages": wire, **kwargs}
        if system:
            params["system"] = system
        if tools:
            params["tools"] = adapt_tools(tools)
        if thinking:
            params["thinking"] = thinking
        if sampling:  # as body fields: newer SDKs no longer list sampling parameters
            params["extra_body"] = sampling
        return params


def _thinking_config(budget: Any) -> Json | None:
    if budget == "adaptive":
        return {"type": "adaptive"}
    if type(budget) is not int or budget < 0 or 0 < budget < 1024:  # bool is not a budget
        raise ConfigurationError(
            f"thinking_budget={budget!r} is invalid: use an integer >= 1024 (Anthropic's "
            "minimum), 0 (off) or 'adaptive'"
        )
    return {"type": "enabled", "budget_tokens": budget} if budget else None


class AnthropicClient(AnthropicClientBase, BaseModelClient):
    """A stateful chat client for one Claude model (options: :class:`AnthropicClientBase`)."""

    _SDK, _deltas = anthropic.Anthropic, staticmethod(sdk_deltas)


class AsyncAnthropicClient(AnthropicClientBase, AsyncBaseModelClient):
    """The async twin of :class:`AnthropicClient` (same options), on ``anthropic.AsyncAnthropic``."""

    _SDK, _deltas = anthropic.AsyncAnthropic, staticmethod(async_sdk_deltas)
