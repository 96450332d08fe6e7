"""The process-level cache of loaded diffusers pipelines.

Loading a pipeline costs seconds to minutes and gigabytes, so every image
client of the same source (a local pipeline directory or a hub id) with the
same load options shares one :class:`LoadedPipeline`: the text-to-image
pipeline, and its image-to-image twin made from it with ``from_pipe`` (same
weights, no second copy).

A diffusers pipeline is not thread safe: a call sets the scheduler's
timesteps and step index on the scheduler object, which the twins share. So
each loaded pipeline has one lock, and its generations run one at a time,
whichever client or thread asks. :func:`unload` waits for the generation in
progress, then drops the weights; a client that still holds them loads them
again on its next call.

``torch`` and ``diffusers`` are imported on the first load, never at import time.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aimu_core.provider import (
    AimuError,
    ConfigurationError,
    ModelNotFoundError,
    ProviderConnectionError,
    quoted,
)

__all__ = [
    "CacheInfo",
    "LoadOptions",
    "LoadedPipeline",
    "PipelineInfo",
    "auto_pipelines",
    "cache_info",
    "get",
    "is_local_path",
    "plan_memory",
    "unload",
]

_DTYPES = ("float32", "float16", "bfloat16")
#: GPUs with less memory than this get attention slicing when left to ``None``.
_SLICING_BELOW = 6 * 2**30
#: Weights above this share of the GPU's memory are offloaded to the CPU when left to ``None``.
_OFFLOAD_ABOVE = 0.5


@dataclass(frozen=True)
class LoadOptions:
    """How a pipeline is loaded and placed; part of the cache key.

    ``None`` means "choose for this machine" (see :func:`plan_memory` and
    :meth:`LoadedPipeline`): ``device`` cuda, else mps, else cpu; ``dtype``
    float16 on an accelerator (``preferred_dtype`` if the catalog names one),
    float32 on the CPU. ``extra`` holds ``from_pretrained`` keywords
    (``variant``, ``revision``, ``cache_dir``...).
    """

    device: str | None = None
    dtype: str | None = None
    cpu_offload: bool | None = None
    attention_slicing: bool | None = None
    preferred_dtype: str | None = None
    extra: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(
        cls,
        *,
        device: str | None = None,
        dtype: str | None = None,
        cpu_offload: bool | None = None,
        attention_slicing: bool | None = None,
        preferred_dtype: str | None = None,
        pipeline_kwargs: Mapping[str, Any] | None = None,
    ) -> LoadOptions:
        """The client options checked (no torch needed)."""
        if device is not None and (not isinstance(device, str) or not device):
            raise ConfigurationError(f"device={device!r} must be a torch device name like 'cuda'")
        for name, value in (("dtype", dtype), ("preferred_dtype", preferred_dtype)):
            if value is not None and value not in _DTYPES:
                raise ConfigurationError(f"{name}={value!r} must be one of {list(_DTYPES)}")
        for name, flag in (("cpu_offload", cpu_offload), ("attention_slicing", attention_slicing)):
            if flag is not None and not isinstance(flag, bool):
                raise ConfigurationError(f"{name}={flag!r} must be True, False or None (automatic)")
        extra = dict(pipeline_kwargs or {})
        clash = sorted(set(extra) & {"torch_dtype", "dtype", "device_map", "local_files_only"})
        if clash:
            raise ConfigurationError(
                f"Pass {clash} through the client options (dtype=, device=), not pipeline_kwargs"
            )
        try:
            options = cls(
                device, dtype, cpu_offload, attention_slicing, preferred_dtype,
                tuple(sorted(extra.items())),
            )  # fmt: skip
            hash(options)
        except TypeError:
            raise ConfigurationError(
                "pipeline_kwargs values must be hashable (strings, numbers, tuples)"
            ) from None
        return options


@dataclass(frozen=True)
class PipelineInfo:
    """One loaded pipeline, as :func:`cache_info` reports it."""

    source: str
    options: LoadOptions
    pipeline: str
    device: str
    dtype: str
    cpu_offload: bool
    attention_slicing: bool
    generations: int


@dataclass(frozen=True)
class CacheInfo:
    """``loads``: pipelines read from disk; ``hits``: clients that reused loaded weights."""

    loads: int
    hits: int
    pipelines: tuple[PipelineInfo, ...]


class LoadedPipeline:
    """A loaded text-to-image pipeline, its image-to-image twin on demand, and their lock."""

    def __init__(self, source: str, options: LoadOptions, pipe: Any, placement: dict[str, Any]):
        self.source, self.options, self.text2image = source, options, pipe
        self.device: str = placement["device"]
        self.dtype: str = placement["dtype"]
        self.cpu_offload: bool = placement["cpu_offload"]
        self.attention_slicing: bool = placement["attention_slicing"]
        self.generations = 0
        self.closed = False
        #: held for a whole generation: one at a time per loaded pipeline
        self.lock = threading.Lock()
        self._image2image: Any = None

    def image2image(self) -> Any:
        """The image-to-image pipeline sharing these weights (call with :attr:`lock` held)."""
        if self._image2image is None:
            _, image2image = auto_pipelines()
            try:
                pipe = image2image.from_pipe(self.text2image)
            except ValueError as exc:
                raise ConfigurationError(
                    f"{quoted(self.source)} is a {type(self.text2image).__name__}, which has no "
                    "image-to-image counterpart in diffusers: generate without reference_image"
                ) from exc
            pipe.set_progress_bar_config(disable=True)
            self._image2image = pipe
        return self._image2image

    def info(self) -> PipelineInfo:
        return PipelineInfo(
            source=self.source,
            options=self.options,
            pipeline=type(self.text2image).__name__,
            device=self.device,
            dtype=self.dtype,
            cpu_offload=self.cpu_offload,
            attention_slicing=self.attention_slicing,
            generations=self.generations,
        )


_registry: dict[tuple[str, LoadOptions], LoadedPipeline] = {}
_registry_lock = threading.Lock()
_stats = {"loads": 0, "hits": 0}


def is_local_path(model_id: str) -> bool:
    """A model id that names a directory rather than a hub repository."""
    return (
        model_id.startswith(("/", "./", "../", "~", "\\"))
        or (len(model_id) > 2 and model_id[1] == ":" and model_id[2] in "/\\")  # C:\...
        or os.path.isdir(model_id)
    )


def _source_key(model_id: str) -> str:
    if is_local_path(model_id):
        return os.path.realpath(os.path.expanduser(model_id))
    return model_id


def get(model_id: str, options: LoadOptions) -> LoadedPipeline:
    """The loaded pipeline for *model_id* and *options*, loading it if no client has yet.

    Raises ``ModelNotFoundError`` for a missing directory or a hub id that is
    neither cached nor downloadable, ``ConfigurationError`` for a directory that
    is not a text-to-image pipeline. A failed load leaves nothing in the cache.
    """
    key = (_source_key(model_id), options)
    with _registry_lock:
        loaded = _registry.get(key)
        if loaded is not None:
            _stats["hits"] += 1
            return loaded
        pipe, placement = _load(model_id, key[0], options)
        loaded = _registry[key] = LoadedPipeline(key[0], options, pipe, placement)
        _stats["loads"] += 1
        return loaded


def _load(model_id: str, source: str, options: LoadOptions) -> tuple[Any, dict[str, Any]]:
    if is_local_path(model_id):
        _check_pipeline_dir(model_id, source)
    else:
        _check_hub_id(model_id, dict(options.extra).get("cache_dir"))
    import torch

    text2image, _ = auto_pipelines()
    device = options.device or _best_device(torch)
    dtype = options.dtype or _dtype_for(torch, device, options.preferred_dtype)
    try:
        pipe = text2image.from_pretrained(
            source, dtype=getattr(torch, dtype), **dict(options.extra)
        )
    except AimuError:
        raise
    except ValueError as exc:
        if "AutoPipeline can't find" in str(exc):
            raise ConfigurationError(
                f"{quoted(model_id)} holds a {_pipeline_class(source)}, which is not a "
                "text-to-image pipeline; point hf: at a text-to-image pipeline directory "
                "(model_index.json of e.g. a StableDiffusionPipeline)"
            ) from exc
        raise _load_error(exc, model_id) from exc
    except Exception as exc:
        raise _load_error(exc, model_id) from exc
    pipe.set_progress_bar_config(disable=True)  # progress goes to on_step / aimu's own bar
    placement = _place(torch, pipe, device, options)
    return pipe, {"device": device, "dtype": dtype, **placement}


def auto_pipelines() -> tuple[Any, Any]:
    """diffusers' ``AutoPipelineForText2Image`` and ``AutoPipelineForImage2Image``,
    imported with transformers' import-time notes kept off stderr.

    Importing diffusers' pipelines makes transformers log that image processors
    fall back to Pillow without torchvision; the pipelines loaded here do not
    need torchvision.
    """
    import logging

    import transformers  # noqa: F401  (sets up the logger quieted here)

    log = logging.getLogger("transformers")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        from diffusers import AutoPipelineForImage2Image, AutoPipelineForText2Image
    finally:
        log.setLevel(level)
    return AutoPipelineForText2Image, AutoPipelineForImage2Image


def _check_pipeline_dir(model_id: str, source: str) -> None:
    if not os.path.exists(source):
        raise ModelNotFoundError(f"No diffusers pipeline directory at {quoted(model_id)}")
    if not os.path.isfile(os.path.join(source, "model_index.json")):
        raise ConfigurationError(
            f"{quoted(model_id)} is not a diffusers pipeline directory (it has no "
            "model_index.json); save one with pipeline.save_pretrained(directory)"
        )


def _pipeline_class(source: str) -> str:
    import json

    try:
        with open(os.path.join(source, "model_index.json"), encoding="utf-8") as fh:
            return str(json.load(fh).get("_class_name", "pipeline"))
    except (OSError, ValueError, AttributeError):
        return "pipeline"


def _check_hub_id(model_id: str, cache_dir: str | None) -> None:
    """Fail before diffusers does, and more clearly, when a hub id cannot be had offline."""
    from huggingface_hub import constants, try_to_load_from_cache
    from huggingface_hub.errors import HFValidationError

    try:
        cached = try_to_load_from_cache(model_id, "model_index.json", cache_dir=cache_dir)
    except HFValidationError as exc:
        raise ModelNotFoundError(
            f"hf:{quoted(model_id)} is neither a pipeline directory nor a hub id "
            f"(owner/name): {exc}"
        ) from None
    if isinstance(cached, str) or not constants.is_offline_mode():
        return
    raise ModelNotFoundError(
        f"hf:{model_id} is not in the Hugging Face cache ({cache_dir or constants.HF_HUB_CACHE}) "
        f"and HF_HUB_OFFLINE is set. Download it where there is network "
        f"(`hf download {model_id}`, or a first use without HF_HUB_OFFLINE), or point hf: at "
        "a local pipeline directory."
    )


def _load_error(exc: Exception, model_id: str) -> AimuError:
    from huggingface_hub import constants

    text = str(exc)
    if not is_local_path(model_id) and _network_failed(exc):
        return ProviderConnectionError(
            f"Cannot download hf:{model_id}: the Hugging Face Hub is unreachable and the model is "
            f"not in the cache ({constants.HF_HUB_CACHE}). Connect, or set HF_HUB_OFFLINE=1 and "
            "use a cached or local pipeline.",
            provider="hf",
        )
    if not is_local_path(model_id) and (
        "does not appear to have a file named" in text or "not found" in text.lower()
    ):
        return ModelNotFoundError(
            f"hf:{model_id} is not a diffusers pipeline on the Hugging Face Hub "
            f"({type(exc).__name__}: {text[:300]})"
        )
    return ConfigurationError(
        f"Cannot load {quoted(model_id)} as a diffusers pipeline ({type(exc).__name__}: "
        f"{text[:300]})"
    )


def _network_failed(exc: BaseException) -> bool:
    """Whether a connection failure lies under *exc*: diffusers reports an unreachable
    Hub as a missing model_index.json, chained from huggingface_hub's error."""
    from huggingface_hub.errors import LocalEntryNotFoundError

    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, (LocalEntryNotFoundError, ConnectionError, TimeoutError)):
            return True
        if type(cause).__name__ in ("ConnectError", "ConnectTimeout", "gaierror"):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _best_device(torch: Any) -> str:
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def _dtype_for(torch: Any, device: str, preferred: str | None) -> str:
    """float32 on the CPU (half precision is slow or unsupported there), else half."""
    if device == "cpu":
        return "float32"
    if preferred == "bfloat16" and device.startswith("cuda") and torch.cuda.is_bf16_supported():
        return "bfloat16"
    return "float16"


def plan_memory(
    device: str, gpu_bytes: int | None, weight_bytes: int, options: LoadOptions
) -> dict[str, bool]:
    """Whether to offload weights to the CPU and slice attention, for one GPU.

    An explicit option wins. Left to ``None``: offload when the weights take more
    than half the GPU's memory (activations need the rest), and slice attention
    on GPUs under 6 GiB (PyTorch's SDPA makes it a slowdown on larger ones).
    """
    on_gpu = device.startswith("cuda") and gpu_bytes is not None
    offload = options.cpu_offload
    if offload is None:
        offload = on_gpu and weight_bytes > _OFFLOAD_ABOVE * (gpu_bytes or 0)
    slicing = options.attention_slicing
    if slicing is None:
        slicing = on_gpu and (gpu_bytes or 0) < _SLICING_BELOW
    return {"cpu_offload": bool(offload), "attention_slicing": bool(slicing)}


def _place(torch: Any, pipe: Any, device: str, options: LoadOptions) -> dict[str, bool]:
    gpu_bytes = None
    if device.startswith("cuda"):
        index = torch.device(device).index or 0
        gpu_bytes = int(torch.cuda.get_device_properties(index).total_memory)
    weight_bytes = sum(
        p.numel() * p.element_size()
        for component in pipe.components.values()
        if isinstance(component, torch.nn.Module)
        for p in component.parameters()
    )
    plan = plan_memory(device, gpu_bytes, weight_bytes, options)
    if plan["cpu_offload"]:
        pipe.enable_model_cpu_offload(device=device)
    else:
        pipe.to(device)
    if plan["attention_slicing"]:
        pipe.enable_attention_slicing()
    return plan


def unload(model_id: str | None = None) -> int:
    """Free the pipelines loaded from *model_id* (a path or hub id), or all of them.

    Waits for each one's generation in progress. Returns how many were freed.
    """
    wanted = None if model_id is None else _source_key(model_id)
    with _registry_lock:
        freed = [_registry.pop(k) for k in list(_registry) if wanted in (None, k[0])]
    for loaded in freed:
        with loaded.lock:
            loaded.closed = True
            loaded.text2image = loaded._image2image = None
    if freed:
        gc.collect()
        torch = _loaded_torch()
        if torch is not None and torch.cuda.is_available():
            torch.cuda.empty_cache()
    return len(freed)


def _loaded_torch() -> Any:
    import sys

    return sys.modules.get("torch")


def cache_info() -> CacheInfo:
    with _registry_lock:
        return CacheInfo(
            loads=_stats["loads"],
            hits=_stats["hits"],
            pipelines=tuple(loaded.info() for loaded in _registry.values()),
        )
