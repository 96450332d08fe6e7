"""``HuggingFaceImageClient``: diffusers pipelines in this process.

Model strings: ``hf:stabilityai/sd-turbo`` (the catalog, :class:`HuggingFaceImageModel`,
or any hub id: downloaded into the Hugging Face cache on first use) and
``hf:/models/my-pipeline`` (any local diffusers text-to-image pipeline directory,
as ``save_pretrained`` writes it). Nothing is loaded until the first
``generate()``; nothing is downloaded unless the model string names a hub id.

Client options (``aimu_core.image_client("hf:...", **options)``):

* ``device``: a torch device (default ``cuda`` when available, else ``mps``, else ``cpu``);
* ``dtype``: ``"float32"``, ``"float16"`` or ``"bfloat16"`` (default float32 on the
  CPU, half precision on an accelerator, bfloat16 where the model card asks for it);
* ``cpu_offload``: keep the weights on the CPU and move each part to the GPU when
  it runs (default: when the weights take over half the GPU's memory);
* ``attention_slicing``: compute attention in slices (default: on GPUs under 6 GiB);
* ``pipeline_kwargs``: other ``from_pretrained`` arguments (``variant="fp16"``,
  ``revision``, ``cache_dir``);
* ``default_generate_kwargs``, ``output_dir``: as for every image client.

Clients of the same model with the same options share one loaded pipeline
(:func:`cache_info`, :func:`unload`), and its generations run one at a time:
two threads sharing a client, or two clients sharing a pipeline, each get their
images, one call after the other. How the portable kwargs map onto diffusers'
arguments is in :mod:`aimu_hf._pipeline_call`.

The async client (``aimu_core.aio.image_client``) is aimu-core's threaded wrapper
around this one: the generation runs on a worker thread, the same lock applies.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from aimu_core.provider import IMAGE_KWARGS, AdHocImageModel, BaseImageClient, ImageModel

from . import _pipeline_cache, _pipeline_call
from ._pipeline_cache import CacheInfo, LoadedPipeline
from .image_models import PREFERRED_DTYPES, HuggingFaceImageModel

if TYPE_CHECKING:
    import os

    from PIL.Image import Image

__all__ = ["HuggingFaceImageClient", "HuggingFaceImageModel", "cache_info", "unload"]


class HuggingFaceImageClient(BaseImageClient):
    """A diffusers text-to-image (and image-to-image) pipeline, loaded on first use."""

    provider: ClassVar[str] = "hf"
    SUPPORTED_KWARGS: ClassVar[frozenset[str]] = frozenset(IMAGE_KWARGS)
    #: diffusers arguments passed through where the pipeline takes them (else warned
    #: about once and dropped): ``strength`` for image-to-image, SDXL's second
    #: prompts, FLUX's ``max_sequence_length`` and true-CFG scale.
    NATIVE_KWARGS: ClassVar[frozenset[str]] = frozenset(
        {
            "strength",
            "eta",
            "guidance_rescale",
            "clip_skip",
            "prompt_2",
            "negative_prompt_2",
            "max_sequence_length",
            "true_cfg_scale",
        }
    )

    def __init__(
        self,
        model: ImageModel | AdHocImageModel,
        *,
        device: str | None = None,
        dtype: str | None = None,
        cpu_offload: bool | None = None,
        attention_slicing: bool | None = None,
        pipeline_kwargs: Mapping[str, Any] | None = None,
        default_generate_kwargs: Mapping[str, Any] | None = None,
        output_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(
            model, default_generate_kwargs=default_generate_kwargs, output_dir=output_dir
        )
        self.load_options = _pipeline_cache.LoadOptions.of(
            device=device,
            dtype=dtype,
            cpu_offload=cpu_offload,
            attention_slicing=attention_slicing,
            preferred_dtype=PREFERRED_DTYPES.get(model.value),
            pipeline_kwargs=pipeline_kwargs,
        )
        if isinstance(model, AdHocImageModel):
            # A seed drives a CPU torch.Generator: any diffusers pipeline repeats itself.
            self.spec = dataclasses.replace(self.spec, seeded=True)
        self._loaded: LoadedPipeline | None = None

    def load(self) -> LoadedPipeline:
        """Load the pipeline now rather than on the first ``generate()`` (or reuse the
        process's loaded one); it is loaded again after :func:`unload`."""
        loaded = self._loaded
        if loaded is None or loaded.closed:
            loaded = self._loaded = _pipeline_cache.get(self.model.value, self.load_options)
        return loaded

    def _generate(
        self,
        prompt: str,
        *,
        num_images: int,
        reference_image: Image | None,
        kwargs: dict[str, Any],
        on_step: Callable[[int, int], None],
    ) -> list[Image | bytes]:
        return _pipeline_call.run(
            self.load,
            prompt,
            num_images=num_images,
            reference_image=reference_image,
            kwargs=kwargs,
            on_step=on_step,
        )


def cache_info() -> CacheInfo:
    """What the pipeline cache holds: ``loads`` (pipelines read from disk), ``hits``
    (clients that reused loaded weights) and ``pipelines`` (source, options, where
    it runs, generations)."""
    return _pipeline_cache.cache_info()


def unload(model: str | None = None) -> int:
    """Free the pipelines loaded from *model* (a path or hub id, without ``hf:``), or all.

    Waits for the generation in progress on each. Clients that still hold one
    load it again on their next call. Returns how many pipelines were freed.
    """
    return _pipeline_cache.unload(model)
