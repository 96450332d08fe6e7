"""``LlamaCppEmbeddingClient``: embeddings from a GGUF in this process (``embedding=True``).

The model is loaded through the plugin's weight cache (:mod:`._cache`) with
embeddings on, so every client of the same file and options shares one
``llama_cpp.Llama`` (a different one from the chat clients': llama.cpp fixes
embedding mode when a model loads), and every ``embed`` runs on that model's
own thread, one after the other: two threads may share a client.

Pooling (how token states become one vector) is ``"mean"`` unless told
otherwise: the embedded Gemma, like most language models, declares none.
``pooling="model"`` takes the GGUF's own (an embedding model's, e.g. CLS for
bge); ``"cls"`` and ``"last"`` force those. Vectors are normalized to length 1
unless ``normalize=False``. An empty string is embedded like any text.

The async client is the core's threaded wrapper of this one (the record names
no async embedding client).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any, cast

from aimu_core.provider import (
    BaseEmbeddingClient,
    ConfigurationError,
    EmbeddingSpec,
    ModelNotFoundError,
    ProviderError,
)

from . import _cache
from ._jobs import run_sync
from .models import DEFAULT_MODEL_ID

__all__ = ["LlamaCppEmbeddingClient"]

#: llama.h's ``llama_pooling_type`` values (``-1``: what the GGUF declares).
_POOLING = {"model": -1, "mean": 1, "cls": 2, "last": 3}
_NO_POOLING = 0


class LlamaCppEmbeddingClient(BaseEmbeddingClient):
    """Embeddings from a GGUF through llama-cpp-python.

    Args:
        model: the embedded model's spec, or one whose id is a ``.gguf`` path.
        model_path: a GGUF file, instead of the id.
        n_ctx: the context window; a text longer than the batch is cut to it.
        n_threads, n_gpu_layers, llama_kwargs, verbose: as for the chat client.
        pooling: ``"mean"`` (default), ``"cls"``, ``"last"`` or ``"model"``.
        normalize: scale vectors to length 1 (default ``True``).
        batch_size: texts per ``embed`` call on the model (default 32).
    """

    provider = "llamacpp"

    def __init__(
        self,
        model: EmbeddingSpec,
        *,
        model_path: str | os.PathLike[str] | None = None,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        n_gpu_layers: int = 0,
        pooling: str = "mean",
        normalize: bool = True,
        llama_kwargs: Mapping[str, Any] | None = None,
        verbose: bool = False,
        base_url: str | None = None,
        batch_size: int | None = None,
    ) -> None:
        super().__init__(model, base_url=base_url, batch_size=batch_size)
        if pooling not in _POOLING:
            raise ConfigurationError(
                f"pooling={pooling!r} is invalid: use one of {', '.join(map(repr, _POOLING))}"
            )
        clash = sorted({"embedding", "pooling_type"} & set(llama_kwargs or {}))
        if clash:
            raise ConfigurationError(f"Pass pooling= rather than {clash} in llama_kwargs")
        extra = {**(llama_kwargs or {}), "embedding": True, "pooling_type": _POOLING[pooling]}
        self._options = _cache.LoadOptions.of(n_ctx, n_threads, n_gpu_layers, extra)
        self.normalize = bool(normalize)
        if verbose:
            _cache.set_log_echo(True)
        self._path = _gguf_path(self.spec.id, model_path)
        self._label = os.path.basename(self._path)
        self._model: _cache.LoadedModel | None = None
        loaded = self._loaded()
        if loaded.llm.pooling_type() == _NO_POOLING:
            raise ConfigurationError(
                f"{self._path!r} declares no pooling, so llama.cpp would give one vector per "
                "token; pass pooling='mean' (or 'cls', 'last')"
            )
        self._dimensions = int(loaded.llm.n_embd())

    def _loaded(self) -> _cache.LoadedModel:
        """The loaded model, from the process cache (again after an ``unload``)."""
        model = self._model
        if model is None or model.closed:
            model = self._model = _cache.get(self._path, self._options, label=self._label)
        return model

    def _submit(self, job: Any) -> None:
        while not self._loaded().submit(job):
            pass  # unloaded between the lookup and the submit: load it again

    def _embed(self, texts: list[str]) -> list[list[float]]:
        normalize = self.normalize

        def work(model: _cache.LoadedModel) -> Iterator[Any]:
            yield model.llm.embed(texts, normalize=normalize)

        try:
            vectors = next(run_sync(self._submit, cast("Any", work)))
        except (ValueError, RuntimeError) as exc:  # llama.cpp's decode failures
            raise ProviderError(
                f"llamacpp:{self._label} failed to embed: {exc}", provider="llamacpp"
            ) from exc
        return cast("list[list[float]]", vectors)

    @property
    def model_path(self) -> str:
        """The GGUF file this client runs."""
        return self._path


def _gguf_path(ident: str, model_path: str | os.PathLike[str] | None) -> str:
    """The GGUF file a client names (the embedded model's, assembled on first use)."""
    if model_path is not None:
        if not isinstance(model_path, (str, os.PathLike)) or not str(model_path):
            raise ConfigurationError(f"model_path={model_path!r} must be a path to a .gguf file")
        return _cache.check_gguf_file(os.fspath(model_path))
    if ident == DEFAULT_MODEL_ID:
        from ._default_model import default_model_path

        return str(default_model_path())
    if ident.lower().endswith(".gguf") or "/" in ident or os.sep in ident or ident.startswith("~"):
        return _cache.check_gguf_file(ident)
    raise ModelNotFoundError(
        f"llamacpp:{ident} is neither the embedded model (llamacpp:{DEFAULT_MODEL_ID}) nor a "
        "path to a .gguf file; write llamacpp:/path/to/model.gguf or pass model_path="
    )
