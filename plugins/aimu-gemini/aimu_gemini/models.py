"""The Gemini image catalog: Gemini image models (``generateContent``) and Imagen (``predict``).

Sizes are the pixel sizes of the aspect ratios each family offers: aimu's
portable ``width``/``height`` pick the aspect ratio (``aspect_ratio`` is also
accepted as a native kwarg).
"""

from __future__ import annotations

from aimu_core.provider import ImageModel, ImageSpec

__all__ = ["GEMINI_SIZES", "IMAGEN_SIZES", "GeminiImageModel", "is_imagen"]

#: Aspect ratio -> (width, height) of Gemini image models' 1K output.
GEMINI_SIZES: dict[str, tuple[int, int]] = {
    "1:1": (1024, 1024),
    "2:3": (832, 1248),
    "3:2": (1248, 832),
    "3:4": (864, 1184),
    "4:3": (1184, 864),
    "4:5": (896, 1152),
    "5:4": (1152, 896),
    "9:16": (768, 1344),
    "16:9": (1344, 768),
    "21:9": (1536, 672),
}
#: Aspect ratio -> (width, height) of Imagen's output.
IMAGEN_SIZES: dict[str, tuple[int, int]] = {
    "1:1": (1024, 1024),
    "3:4": (896, 1280),
    "4:3": (1280, 896),
    "9:16": (768, 1408),
    "16:9": (1408, 768),
}


def _gemini(model_id: str) -> ImageSpec:
    return ImageSpec(model_id, image_to_image=True, sizes=tuple(GEMINI_SIZES.values()))


def _imagen(model_id: str) -> ImageSpec:
    return ImageSpec(model_id, sizes=tuple(IMAGEN_SIZES.values()), seeded=True)


class GeminiImageModel(ImageModel):
    """Google's image models. Gemini ones take reference images; Imagen ones take a seed
    (and need Vertex AI mode, see :class:`aimu_gemini.client.GeminiImageClient`)."""

    GEMINI_2_5_FLASH_IMAGE = _gemini("gemini-2.5-flash-image")
    GEMINI_3_PRO_IMAGE_PREVIEW = _gemini("gemini-3-pro-image-preview")
    IMAGEN_4 = _imagen("imagen-4.0-generate-001")
    IMAGEN_4_ULTRA = _imagen("imagen-4.0-ultra-generate-001")
    IMAGEN_4_FAST = _imagen("imagen-4.0-fast-generate-001")
    IMAGEN_3 = _imagen("imagen-3.0-generate-002")


def is_imagen(model_id: str) -> bool:
    """Imagen models answer ``predict`` (``generate_images``), not ``generateContent``."""
    return model_id.startswith("imagen-")
