"""aimu-gemini: image generation with Google's Gemini and Imagen models (``gemini:<model>``).

Importing this module is cheap: it declares the catalog and the provider
record; the ``google-genai`` SDK is imported only when a client is built
(:mod:`aimu_gemini.client`). Gemini *text* models are aimu-openai's
``gemini:`` text provider; image and text prefixes are separate namespaces.
"""

from __future__ import annotations

from aimu_core.provider import ImageProvider, hookimpl

from .models import GeminiImageModel

__all__ = ["AIMU_PLUGIN_API", "GeminiImageModel", "aimu_image_providers"]

AIMU_PLUGIN_API = 1


@hookimpl
def aimu_image_providers() -> list[ImageProvider]:
    return [
        ImageProvider(
            name="gemini",
            client="aimu_gemini.client:GeminiImageClient",
            async_client="aimu_gemini.client:AsyncGeminiImageClient",
            models=GeminiImageModel,
            accepts_base_url=True,
            needs=("env:GEMINI_API_KEY",),
            description="Google Gemini image models and Imagen (google-genai SDK)",
        )
    ]
