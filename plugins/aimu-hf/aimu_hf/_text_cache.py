"""The process-level cache of loaded transformers text models.

Loading weights costs memory and time, so every client of the same model
(hub id or directory) with the same load options shares one :class:`LoadedModel`,
as in aimu-llamacpp. A transformers model is not safe to generate with from
two threads at once: each generation holds the model's ``lock``, so one runs
at a time and the others wait their turn. :func:`unload` waits for the running
generation, then frees the weights; clients that still hold the model load it
again on their next call.

``torch`` and ``transformers`` are imported on the first load, never at import time.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aimu_core.provider import AimuError, ConfigurationError, ModelNotFoundError

__all__ = [
    "CacheInfo",
    "LoadOptions",
    "LoadedModel",
    "ModelInfo",
    "cache_info",
    "get",
    "source_of",
    "unload",
]

#: ``dtype=`` names a client accepts; ``"auto"`` picks one per device (:func:`_dtype_name`).
DTYPES = ("auto", "float32", "float16", "bfloat16")
#: ``from_pretrained`` kwargs the tokenizer needs as well as the model.
_SHARED_KWARGS = ("revision", "trust_remote_code", "gguf_file", "subfolder", "token")


@dataclass(frozen=True)
class LoadOptions:
    """What the model is loaded with besides its source; part of the cache key.

    ``device`` and ``dtype`` are the resolved ones (never ``None`` or ``"auto"``),
    so clients asking for "auto" and for what it means share one model.
    """

    device: str
    dtype: str
    extra: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, device: str | None, dtype: Any, extra: Mapping[str, Any]) -> LoadOptions:
        """The client options checked and resolved; *extra* is ``model_kwargs``."""
        if device is not None and not isinstance(device, str):
            raise ConfigurationError(f"device={device!r} must be a string: 'cuda', 'mps' or 'cpu'")
        if not isinstance(dtype, str):  # a torch.dtype
            dtype = str(dtype).removeprefix("torch.")
        if dtype not in DTYPES:
            raise ConfigurationError(f"dtype={dtype!r} must be one of {', '.join(DTYPES)}")
        if not isinstance(extra, Mapping):
            raise ConfigurationError("model_kwargs must be a mapping of from_pretrained arguments")
        clash = sorted(set(extra) & {"dtype", "torch_dtype", "device_map", "local_files_only"})
        if clash:
            raise ConfigurationError(
                f"Pass {clash} as client options (device=, dtype=), not in model_kwargs"
            )
        device = _device(device)
        try:
            options = cls(device, _dtype_name(dtype, device), tuple(sorted(extra.items())))
            hash(options)
        except TypeError:
            raise ConfigurationError(
                "model_kwargs values must be hashable (numbers, strings, tuples)"
            ) from None
        return options


def _device(device: str | None) -> str:
    """The device asked for, checked, or the best one here: cuda, then mps, then cpu."""
    import torch

    if device is None:
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        return "mps" if mps is not None and mps.is_available() else "cpu"
    try:
        kind = torch.device(device).type
    except (RuntimeError, ValueError) as exc:
        raise ConfigurationError(f"device={device!r} is not a torch device: {exc}") from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise ConfigurationError(f"device={device!r}, but this torch build sees no CUDA device")
    return device


def _dtype_name(dtype: str, device: str) -> str:
    """``"auto"``: bfloat16 on a GPU that has it, else float16 on a GPU; float32 on CPU."""
    if dtype != "auto":
        return dtype
    import torch

    if device.startswith("cuda"):
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    return "float16" if device.startswith("mps") else "float32"


@dataclass(frozen=True)
class ModelInfo:
    """One loaded model, as :func:`cache_info` reports it."""

    source: str
    options: LoadOptions
    n_ctx: int
    generations: int


@dataclass(frozen=True)
class CacheInfo:
    """``loads``: weights read from disk; ``hits``: clients that reused loaded weights."""

    loads: int
    hits: int
    models: tuple[ModelInfo, ...]


class LoadedModel:
    """A loaded model, its tokenizer, and the lock each generation holds."""

    def __init__(self, source: str, options: LoadOptions, model: Any, tokenizer: Any) -> None:
        self.source, self.options = source, options
        self.model, self.tokenizer = model, tokenizer
        self.n_ctx = _context_window(model, tokenizer)
        self.generations = 0
        self.closed = False
        self.lock = threading.Lock()
        #: objects made once per model (stop-string criteria)
        self.memo: dict[Any, Any] = {}

    def close(self) -> None:
        """Wait for the running generation, then drop the weights."""
        with self.lock:
            self.closed = True
            self.memo.clear()
            self.model = self.tokenizer = None


def _context_window(model: Any, tokenizer: Any) -> int:
    """The positions the model was trained for, else the tokenizer's limit, else 2048."""
    config = model.config
    text_config = getattr(config, "get_text_config", lambda: config)()
    for value in (
        getattr(text_config, "max_position_embeddings", None),
        getattr(tokenizer, "model_max_length", None),
    ):
        if isinstance(value, int) and 0 < value < 10_000_000:
            return value
    return 2048


_registry: dict[tuple[str, LoadOptions], LoadedModel] = {}
_registry_lock = threading.Lock()
_stats = {"loads": 0, "hits": 0}


def source_of(ident: str) -> str:
    """A model directory's real path, or a hub id as it is."""
    expanded = os.path.expanduser(ident)
    if _is_path(ident):
        return os.path.realpath(expanded)
    return ident


def _is_path(ident: str) -> bool:
    return ident.startswith(("/", "~", ".")) or os.path.isdir(ident)


def get(source: str, options: LoadOptions) -> LoadedModel:
    """The loaded model for *source* and *options*, loading it if no client has yet.

    A failed load raises a ``ConfigurationError`` or ``ModelNotFoundError`` naming
    the model, and leaves nothing in the cache.
    """
    key = (source, options)
    with _registry_lock:
        if key in _registry:
            _stats["hits"] += 1
            return _registry[key]
        model = _registry[key] = _load(source, options)
        _stats["loads"] += 1
        return model


def _load(source: str, options: LoadOptions) -> LoadedModel:
    extra = dict(options.extra)
    shared = {k: extra[k] for k in _SHARED_KWARGS if k in extra}
    if _is_path(source):
        if not os.path.isdir(source):
            raise ModelNotFoundError(f"hf:{source}: no such model directory")
        return _from_pretrained(source, options, extra, shared, local=True)
    try:  # the Hugging Face cache first: no network when the model is there
        return _from_pretrained(source, options, extra, shared, local=True)
    except ModelNotFoundError:
        if _offline():
            raise
    return _from_pretrained(source, options, extra, shared, local=False)


def _offline() -> bool:
    return any(
        os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def _from_pretrained(
    source: str, options: LoadOptions, extra: dict[str, Any], shared: dict[str, Any], *, local: bool
) -> LoadedModel:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local, **shared)
        model = AutoModelForCausalLM.from_pretrained(
            source, dtype=getattr(torch, options.dtype), local_files_only=local, **extra
        )
        model.to(options.device).eval()
    except Exception as exc:
        raise _load_error(exc, source, local=local) from exc
    return LoadedModel(source, options, model, tokenizer)


def _load_error(exc: Exception, source: str, *, local: bool) -> AimuError:
    if isinstance(exc, AimuError):
        return exc
    if _is_path(source):
        return ConfigurationError(
            f"Cannot load hf:{source} as a transformers causal LM ({type(exc).__name__}: {exc}). "
            "The directory needs config.json, the weights and the tokenizer files "
            "(save_pretrained writes them)."
        )
    if isinstance(exc, TypeError):  # an unknown model_kwargs name
        return ConfigurationError(f"Invalid from_pretrained option for hf:{source}: {exc}")
    if isinstance(exc, OSError):  # not in the cache, or not on the hub / unreachable
        from huggingface_hub.constants import HF_HUB_CACHE

        where = (
            "HF_HUB_OFFLINE is set, so nothing is downloaded"
            if local
            else "and it could not be downloaded"
        )
        return ModelNotFoundError(
            f"hf:{source} is not in the Hugging Face cache ({HF_HUB_CACHE}), {where}. "
            f"Download it once with `hf download {source}` (or pass a local model directory: "
            f"hf:/path/to/model). Cause: {type(exc).__name__}: {str(exc)[:300]}"
        )
    return ConfigurationError(f"Cannot load hf:{source} ({type(exc).__name__}: {str(exc)[:300]})")


def unload(source: str | None = None) -> int:
    """Free the models loaded from *source* (a directory or a hub id), or all of them."""
    wanted = None if source is None else source_of(source)
    with _registry_lock:
        models = [_registry.pop(k) for k in list(_registry) if wanted in (None, k[0])]
    for model in models:
        model.close()
    if models:
        gc.collect()
        _empty_device_cache()
    return len(models)


def _empty_device_cache() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def cache_info() -> CacheInfo:
    with _registry_lock:
        models = tuple(
            ModelInfo(m.source, m.options, m.n_ctx, m.generations) for m in _registry.values()
        )
        return CacheInfo(loads=_stats["loads"], hits=_stats["hits"], models=models)
