"""``OllamaEmbeddingClient`` and its async twin: embeddings from Ollama's ``/api/embed``.

They share :class:`~aimu_ollama.client.OllamaClientBase`'s constructor (host,
``OLLAMA_HOST``, API key, basic auth, timeout, secrets kept out of errors) and
its error translation, and add the one call. Ollama returns vectors
normalized to length 1. ``truncate`` (default ``True``, Ollama's default)
cuts a text longer than the model's context instead of failing.

Empty strings are refused before any request (``ConfigurationError``), as
by aimu-openai: what a server makes of one differs from model to model.
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

import ollama

from aimu_core.provider import (
    AsyncBaseEmbeddingClient,
    BaseEmbeddingClient,
    ConfigurationError,
    EmbeddingModel,
    EmbeddingSpec,
    translate_sdk_error,
)

from ._errors import ollama_error
from .client import OllamaClientBase

__all__ = ["AsyncOllamaEmbeddingClient", "OllamaEmbeddingClient"]


class _OllamaEmbeddings(OllamaClientBase):
    """What the twins share: the request, and the SDK's errors as aimu errors.

    Options: ``base_url``, ``api_key``, ``timeout`` (as the chat client),
    ``truncate``, ``dimensions`` (for models that can shorten their vectors),
    ``keep_alive``, ``batch_size`` (texts per request, default 64).
    """

    batch_size = 64
    spec: EmbeddingSpec
    _dimensions: int | None
    _SDK: ClassVar[type[Any]]

    def __init__(
        self,
        model: EmbeddingSpec | EmbeddingModel | str,
        *,
        truncate: bool = True,
        dimensions: int | None = None,
        keep_alive: float | str | None = None,
        **options: Any,
    ) -> None:
        if isinstance(model, str):
            model = EmbeddingSpec(model)
        if dimensions is not None and (
            isinstance(dimensions, bool) or not isinstance(dimensions, int) or dimensions <= 0
        ):
            raise ConfigurationError(f"dimensions must be an integer > 0, got {dimensions!r}")
        super().__init__(model, **options)  # type: ignore[arg-type]
        self._fields: dict[str, Any] = {"truncate": bool(truncate)}
        if dimensions is not None:
            self._fields["dimensions"] = self._dimensions = dimensions
        if keep_alive is not None:
            self._fields["keep_alive"] = keep_alive

    def _request(self, texts: list[str]) -> dict[str, Any]:  # type: ignore[override]
        if "" in texts:
            raise ConfigurationError(
                f"ollama:{self.spec.id} cannot embed an empty string (item {texts.index('')} "
                "of the batch); drop empty texts or replace them"
            )
        return {"model": self.spec.id, "input": texts, **self._fields}

    def _failure(self, exc: Exception) -> BaseException:
        translate = partial(ollama_error, self._errors, streaming=False, timeout=self.timeout)
        return translate_sdk_error(exc, self._errors.secrets, translate)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model_string!r})"  # type: ignore[attr-defined]


class OllamaEmbeddingClient(_OllamaEmbeddings, BaseEmbeddingClient):  # type: ignore[misc]
    """Embeddings from an Ollama server (``ollama:<tag>``), on ``ollama.Client``."""

    _SDK = ollama.Client

    def _embed(self, texts: list[str]) -> list[list[float]]:
        request = self._request(texts)
        error: BaseException
        try:
            return [list(v) for v in self._sdk.get().embed(**request).embeddings]
        except Exception as exc:
            error = self._failure(exc)
            if error is exc:
                raise
        raise error  # outside the except block: the SDK exception is not its context


class AsyncOllamaEmbeddingClient(_OllamaEmbeddings, AsyncBaseEmbeddingClient):  # type: ignore[misc]
    """The async twin of :class:`OllamaEmbeddingClient`, on ``ollama.AsyncClient``."""

    _SDK = ollama.AsyncClient

    async def _embed(self, texts: list[str]) -> list[list[float]]:
        request = self._request(texts)
        error: BaseException
        try:
            return [list(v) for v in (await self._sdk.get().embed(**request)).embeddings]
        except Exception as exc:
            error = self._failure(exc)
            if error is exc:
                raise
        raise error
