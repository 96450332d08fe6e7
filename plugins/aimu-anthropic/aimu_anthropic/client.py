"""``AnthropicClient`` and ``AsyncAnthropicClient``: Claude through the official ``anthropic`` SDK.

Both implement aimu's one-method provider contract (``_chat``). History stays
in OpenAI format and is adapted on every request (see ``_messages``); replies
are read from the raw event stream, so text, thinking and tool-call input are
yielded as they arrive. SDK exceptions become :mod:`aimu_core.errors` here.
"""

from __future__ import annotations

import os
import warnings
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any

import anthropic
from pydantic import SecretStr

from aimu_core.aio import AsyncBaseModelClient, LoopLocal
from aimu_core.errors import ConfigurationError
from aimu_core.models import BaseModelClient
from aimu_core.models.delta import Delta
from aimu_core.models.spec import AdHocModel, Model

from ._errors import translate
from ._messages import adapt_messages, adapt_tools
from ._reply import EventReader, message_delta

__all__ = ["AnthropicClient", "AsyncAnthropicClient"]

_DEFAULT_BASE_URL = "https://api.anthropic.com"
#: Sampling settings Anthropic refuses while thinking is on.
_SAMPLING = ("temperature", "top_p", "top_k")
#: Signed thinking blocks kept per client (one entry per tool-calling turn).
_SIGNED_KEEP = 64
_warned: set[str] = set()


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, UserWarning, stacklevel=5)


class _AnthropicRequests:
    """Options, credentials and request building shared by the sync and async clients."""

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

    model: Model | AdHocModel

    def _configure(
        self,
        api_key: str | None,
        base_url: str | None,
        timeout: float | None,
        max_retries: int | None,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("ANTHROPIC_API_KEY")
        self._api_key = SecretStr(key) if key else None
        self.base_url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or _DEFAULT_BASE_URL
        self.timeout = timeout
        self.max_retries = max_retries
        self._signed: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()

    def _sdk_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"base_url": self.base_url}
        if self._api_key is not None:
            options["api_key"] = self._api_key.get_secret_value()
        if self.timeout is not None:
            options["timeout"] = self.timeout
        if self.max_retries is not None:
            options["max_retries"] = self.max_retries
        return options

    def _params(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        """The keyword arguments of one ``messages.create`` call."""
        kwargs = dict(kwargs)
        budget = kwargs.pop("thinking_budget", None)
        if budget is None:
            budget = self.DEFAULT_THINKING_BUDGET if self.model.supports_thinking else 0
        thinking = _thinking_config(budget)
        forced = kwargs.get("tool_choice")
        if (
            thinking is not None
            and isinstance(forced, dict)
            and forced.get("type") in ("any", "tool")
        ):
            _warn_once(
                "tool_choice",
                "Anthropic cannot think while a tool is forced (tool_choice 'any' or 'tool'); "
                "thinking is off for those requests.",
            )
            thinking = None
        max_tokens = kwargs.pop("max_tokens", None) or self.DEFAULT_MAX_TOKENS
        if thinking is not None and thinking["type"] == "enabled":
            # max_tokens caps the answer; the thinking budget comes on top of it,
            # so a small max_tokens neither starves nor invalidates thinking.
            max_tokens += thinking["budget_tokens"]
        sampling = {k: kwargs.pop(k) for k in _SAMPLING if k in kwargs}
        if thinking is not None and sampling:
            if sampling.pop("temperature", 1) != 1:
                _warn_once(
                    "temperature",
                    "Anthropic requires temperature=1 while thinking; temperature is ignored "
                    "(pass thinking_budget=0 to turn thinking off).",
                )
            for name in list(sampling):
                del sampling[name]
                _warn_once(name, f"Anthropic does not allow {name} while thinking; it is ignored.")
        system, wire = adapt_messages(messages, self._signed if thinking is not None else None)
        params: dict[str, Any] = {
            "model": self.model.value,
            "max_tokens": max_tokens,
            "messages": wire,
        }
        if system:
            params["system"] = system
        if tools:
            params["tools"] = adapt_tools(tools)
        if thinking is not None:
            params["thinking"] = thinking
        if sampling:
            # Sent as body fields: newer SDKs no longer list sampling parameters.
            params["extra_body"] = sampling
        params.update(kwargs)  # stop_sequences and the native pass-through kwargs
        return params

    def _keep_signed(self, signed: list[dict[str, Any]], tool_ids: list[str]) -> None:
        """Remember a tool-calling turn's signed thinking, to send it back with the calls."""
        if signed and tool_ids:
            self._signed[tool_ids[0]] = signed
            while len(self._signed) > _SIGNED_KEEP:
                self._signed.popitem(last=False)

    def _translate(self, exc: BaseException, *, streaming: bool) -> BaseException:
        key = self._api_key.get_secret_value() if self._api_key is not None else None
        return translate(
            exc, secrets=[key], model=self.model.value, base_url=self.base_url, streaming=streaming
        )


def _thinking_config(budget: Any) -> dict[str, Any] | None:
    if budget == "adaptive":
        return {"type": "adaptive"}
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
        raise ConfigurationError(
            f"thinking_budget={budget!r} is invalid: use an integer >= 1024, 0 (off) or 'adaptive'"
        )
    if budget == 0:
        return None
    if budget < 1024:
        raise ConfigurationError(
            f"thinking_budget={budget} is too small: Anthropic needs at least 1024"
        )
    return {"type": "enabled", "budget_tokens": budget}


class AnthropicClient(_AnthropicRequests, BaseModelClient):
    """A stateful chat client for one Claude model.

    Args:
        model: a catalog member or ad-hoc model (the factory passes it).
        api_key: defaults to ``ANTHROPIC_API_KEY``; kept as a ``SecretStr``.
        base_url: another endpoint (a proxy, a gateway, a test server);
            defaults to ``ANTHROPIC_BASE_URL`` or Anthropic's API.
        timeout: seconds per request (the SDK's default when ``None``).
        max_retries: retries of failed requests (the SDK's default, 2, when ``None``).
    """

    def __init__(
        self,
        model: Model | AdHocModel,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
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
        self._configure(api_key, base_url, timeout, max_retries)
        self._sdk: anthropic.Anthropic | None = None

    def _client(self) -> anthropic.Anthropic:
        # Made on first use, inside the error translation: the SDK may raise
        # while resolving credentials (a missing profile, say).
        if self._sdk is None:
            self._sdk = anthropic.Anthropic(**self._sdk_options())
        return self._sdk

    def _chat(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]],
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> Iterator[Delta]:
        params = self._params(messages, tools, generate_kwargs)
        try:
            sdk = self._client()
            if not stream:
                delta, signed, tool_ids = message_delta(sdk.messages.create(**params))
                self._keep_signed(signed, tool_ids)
                yield delta
                return
            events = sdk.messages.create(**params, stream=True)
            try:
                reader = EventReader()
                feed = reader.feed
                for event in events:
                    piece = feed(event)
                    if piece is not None:
                        yield piece
                reader.finish()
                self._keep_signed(reader.signed, reader.tool_ids)
            finally:
                events.close()
        except Exception as exc:
            raise self._translate(exc, streaming=stream)  # noqa: B904 - chaining is decided there


class AsyncAnthropicClient(_AnthropicRequests, AsyncBaseModelClient):
    """The async twin of :class:`AnthropicClient` (same options), on ``anthropic.AsyncAnthropic``.

    The SDK client is made per event loop: its connection pool belongs to the
    loop that opened it, so one aimu client can be used across ``asyncio.run`` calls.
    """

    def __init__(
        self,
        model: Model | AdHocModel,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
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
        self._configure(api_key, base_url, timeout, max_retries)
        self._sdk = LoopLocal(lambda: anthropic.AsyncAnthropic(**self._sdk_options()))

    def _client(self) -> anthropic.AsyncAnthropic:
        return self._sdk.get()

    async def _chat(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]],
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> AsyncIterator[Delta]:
        params = self._params(messages, tools, generate_kwargs)
        try:
            sdk = self._client()
            if not stream:
                delta, signed, tool_ids = message_delta(await sdk.messages.create(**params))
                self._keep_signed(signed, tool_ids)
                yield delta
                return
            events = await sdk.messages.create(**params, stream=True)
            try:
                reader = EventReader()
                feed = reader.feed
                async for event in events:
                    piece = feed(event)
                    if piece is not None:
                        yield piece
                reader.finish()
                self._keep_signed(reader.signed, reader.tool_ids)
            finally:
                await events.close()
        except Exception as exc:
            raise self._translate(exc, streaming=stream)  # noqa: B904 - chaining is decided there
