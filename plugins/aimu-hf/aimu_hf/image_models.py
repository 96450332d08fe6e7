"""aimu-hf's image catalog: diffusers pipelines on the Hugging Face Hub, with their
recommended generation settings.

Any other hub id (``hf:owner/name``) or a local pipeline directory
(``hf:/models/my-pipeline``) works too, as an ad-hoc model. Catalog models are
downloaded into the Hugging Face cache on first use, never before.

This module is cheap to import: the plugin's hook reads it at discovery.
"""

from __future__ import annotations

from types import MappingProxyType

from aimu_core.provider import ImageModel, ImageSpec

__all__ = ["PREFERRED_DTYPES", "HuggingFaceImageModel"]


def _turbo(model_id: str) -> ImageSpec:
    """An adversarial-diffusion-distilled model: 512x512 in one step, no guidance."""
    return ImageSpec(
        model_id,
        image_to_image=True,
        steps=(1, 50),
        seeded=True,
        generation_kwargs={"steps": 1, "guidance": 0.0, "width": 512, "height": 512},
    )


class HuggingFaceImageModel(ImageModel):
    """Distilled few-step text-to-image models, each also image-to-image."""

    #: Stable Diffusion 2.1 distilled.
    SD_TURBO = _turbo("stabilityai/sd-turbo")
    #: SDXL distilled.
    SDXL_TURBO = _turbo("stabilityai/sdxl-turbo")
    #: FLUX.1 [schnell], 1024x1024 in four steps, guidance-distilled (guidance unused).
    FLUX_SCHNELL = ImageSpec(
        "black-forest-labs/FLUX.1-schnell",
        image_to_image=True,
        steps=(1, 50),
        seeded=True,
        generation_kwargs={"steps": 4, "guidance": 0.0, "width": 1024, "height": 1024},
    )


#: The dtype a model's card recommends on an accelerator that has it (else float16).
PREFERRED_DTYPES = MappingProxyType({HuggingFaceImageModel.FLUX_SCHNELL.value: "bfloat16"})
