"""The sync and async embedding clients of every provider of this plugin (``POST /v1/embeddings``).

They keep the chat clients' connection settings (base URL and its env var,
API key, headers, timeout, retries, secrets kept out of errors) by sharing
:class:`aimu_openai.client._ChatCompletions`' constructor and its error
translation, and add only the embeddings call. Like the chat classes, each
provider's pair is the compatible pair bound to its endpoint record.

Empty strings are refused before any request (``ConfigurationError``):
OpenAI's API rejects them, and a compatible server's answer to one differs
from server to server, so every provider of this plugin behaves alike.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Self, cast

import openai

from aimu_core.provider import (
    AdHocModel,
    AsyncBaseEmbeddingClient,
    BaseEmbeddingClient,
    ConfigurationError,
    EmbeddingModel,
    EmbeddingSpec,
    LoopLocal,
    ModelSpec,
    invalid_response,
    translate_sdk_error,
)

from ._endpoints import ENDPOINTS
from .client import _ChatCompletions

__all__ = [
    "AsyncOpenAICompatEmbeddingClient",
    "OpenAICompatEmbeddingClient",
]

_EXPECTED = "an Embeddings response"


class _Embeddings(_ChatCompletions):
    """What the sync and async embedding clients share: the request and the reading of a reply.

    Options besides the chat clients' connection options (``api_key``,
    ``base_url``, ``timeout``, ``max_retries``, ``default_headers``,
    ``http_client``): ``dimensions`` (shorter vectors, for models that can
    make them, e.g. text-embedding-3) and ``batch_size`` (texts per request,
    default 256; OpenAI takes up to 2048).
    """

    batch_size = 256
    spec: EmbeddingSpec
    _dimensions: int | None

    def __init__(
        self,
        model: EmbeddingSpec | EmbeddingModel | str,
        *,
        dimensions: int | None = None,
        **options: Any,
    ) -> None:
        if dimensions is not None and (
            isinstance(dimensions, bool) or not isinstance(dimensions, int) or dimensions <= 0
        ):
            raise ConfigurationError(f"dimensions must be an integer > 0, got {dimensions!r}")
        super().__init__(model, **options)  # type: ignore[arg-type]
        self._request_dimensions = dimensions
        if dimensions is not None:
            self._dimensions = dimensions

    @property
    def model(self) -> AdHocModel:  # type: ignore[override]
        """The model as the chat machinery names it in errors."""
        return AdHocModel(ModelSpec(self.spec.id))

    @classmethod
    def _as_model(cls, model: Any) -> Any:
        return model  # the embedding base takes a spec, a catalog member or an id

    @classmethod
    def serving(cls, name: str) -> type[Self]:
        """This class bound to the provider *name* of :data:`~aimu_openai._endpoints.ENDPOINTS`."""
        endpoint = ENDPOINTS[name]
        prefix = "Async" if issubclass(cls, AsyncBaseEmbeddingClient) else ""
        class_name = f"{prefix}{endpoint.classes}EmbeddingClient"
        namespace = {
            "__module__": __name__,
            "__qualname__": class_name,
            "__doc__": f"{endpoint.description}: embeddings; the arguments of {cls.__name__}.",
            "endpoint": endpoint,
            "provider": endpoint.name,
        }
        return cast("type[Self]", type(class_name, (cls,), namespace))

    def _request(self, texts: list[str]) -> dict[str, Any]:  # type: ignore[override]
        if "" in texts:
            raise ConfigurationError(
                f"{self.provider}:{self.spec.id} cannot embed an empty string (item "
                f"{texts.index('')} of the batch); drop empty texts or replace them"
            )
        # encoding_format given: left out, the SDK asks for base64 and decodes the reply
        # itself, crashing with an AttributeError on a reply that is not JSON (a proxy's page).
        request: dict[str, Any] = {
            "model": self.spec.id,
            "input": texts,
            "encoding_format": "float",
        }
        if self._request_dimensions is not None:
            request["dimensions"] = self._request_dimensions
        return request

    def _vectors(self, response: Any) -> list[list[float]]:
        """The vectors of a reply, in input order, checked to be an embeddings response."""
        data = getattr(response, "data", None)
        if not isinstance(data, list) or not all(hasattr(d, "embedding") for d in data):
            shown = response[:200] if isinstance(response, str) else type(response).__name__
            raise invalid_response(self._errors, f"got {shown!r}", _EXPECTED)
        if all(isinstance(getattr(d, "index", None), int) for d in data):
            data = sorted(data, key=lambda d: d.index)
        vectors = [d.embedding for d in data]
        # The SDK does not validate replies: look at each vector's first number (the
        # base client checks the lengths), convert only what is not a float already.
        if all(isinstance(v, list) and v and type(v[0]) is float for v in vectors):
            return vectors
        try:
            return [[float(x) for x in v] for v in vectors]
        except (TypeError, ValueError):
            nested = any(isinstance(v, list) and v and isinstance(v[0], list) for v in vectors)
        raise invalid_response(
            self._errors,
            "one vector per token, not one per text: the server pools no embeddings (serve an "
            "embedding model, or give the model a pooling type: llama.cpp's --pooling mean, "
            "or the GGUF key <arch>.pooling_type)"
            if nested
            else "embeddings that are not lists of numbers",
            _EXPECTED,
        )

    def _failure(self, exc: Exception) -> BaseException:
        """The aimu error for an exception of the call, secrets redacted (see sdk_calls)."""
        return translate_sdk_error(
            exc, self._errors.secrets, partial(self._error_for, streaming=False)
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model_string!r})"  # type: ignore[attr-defined]


class OpenAICompatEmbeddingClient(_Embeddings, BaseEmbeddingClient):  # type: ignore[misc]
    """Embeddings from any server that speaks OpenAI's ``/v1/embeddings``.

    ``openai-compat:<model>@http://host:port/v1``; the other providers' classes
    are this one bound to their endpoint record.

    Attributes:
        sdk_client: the ``openai.OpenAI`` client.
    """

    sdk_client: openai.OpenAI

    def _open_sdk(self) -> None:
        self.sdk_client = self._scrubbed(openai.OpenAI(**self._sdk_options()))

    def _embed(self, texts: list[str]) -> list[list[float]]:
        request = self._request(texts)
        error: BaseException
        try:
            return self._vectors(self.sdk_client.embeddings.create(**request))
        except Exception as exc:
            error = self._failure(exc)
            if error is exc:
                raise
        raise error  # outside the except block: the SDK exception is not its context

    def close(self) -> None:
        self.sdk_client.close()


class AsyncOpenAICompatEmbeddingClient(_Embeddings, AsyncBaseEmbeddingClient):  # type: ignore[misc]
    """Async twin of :class:`OpenAICompatEmbeddingClient` (``openai.AsyncOpenAI``, one per
    event loop, so one client works across ``asyncio.run`` calls)."""

    def _open_sdk(self) -> None:
        self._sdk = LoopLocal(lambda: self._scrubbed(openai.AsyncOpenAI(**self._sdk_options())))

    @property
    def sdk_client(self) -> openai.AsyncOpenAI:
        return self._sdk.get()

    async def _embed(self, texts: list[str]) -> list[list[float]]:
        request = self._request(texts)
        error: BaseException
        try:
            return self._vectors(await self.sdk_client.embeddings.create(**request))
        except Exception as exc:
            error = self._failure(exc)
            if error is exc:
                raise
        raise error

    async def aclose(self) -> None:
        await self.sdk_client.close()


def _twins(
    name: str,
) -> tuple[type[OpenAICompatEmbeddingClient], type[AsyncOpenAICompatEmbeddingClient]]:
    return OpenAICompatEmbeddingClient.serving(name), AsyncOpenAICompatEmbeddingClient.serving(name)


OpenAIEmbeddingClient, AsyncOpenAIEmbeddingClient = _twins("openai")
GeminiEmbeddingClient, AsyncGeminiEmbeddingClient = _twins("gemini")
LMStudioEmbeddingClient, AsyncLMStudioEmbeddingClient = _twins("lmstudio")
VLLMEmbeddingClient, AsyncVLLMEmbeddingClient = _twins("vllm")
LlamaServerEmbeddingClient, AsyncLlamaServerEmbeddingClient = _twins("llamaserver")
SGLangEmbeddingClient, AsyncSGLangEmbeddingClient = _twins("sglang")
