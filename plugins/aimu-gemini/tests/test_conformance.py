"""aimu-gemini passes the image conformance kit: the real google-genai SDK against the fake
Gemini API (a Gemini image model with a Gemini API key; Imagen in Vertex AI express mode)."""

from __future__ import annotations

from typing import Any

import pytest
from aimu_gemini.testing import FakeGemini

from aimu_core.testing.image_conformance import ImageProviderConformance

API_KEY = "AIzaSy-conformance-0123456789abcdef"
FLASH = "gemini:gemini-2.5-flash-image"
IMAGEN = "gemini:imagen-4.0-generate-001"

_ALL_FAULTS = (
    "authentication",
    "rate_limit",
    "server_error",
    "safety",
    "timeout",
    "connection_refused",
)


class _OnTheFake(ImageProviderConformance):
    faults = _ALL_FAULTS

    @pytest.fixture
    def client_options(self, api: FakeGemini) -> dict[str, Any]:
        return {"base_url": api.url, "api_key": API_KEY}

    @pytest.fixture
    def arrange_fault(self, api: FakeGemini) -> Any:
        def arrange(kind: str) -> str:
            api.fail_next(kind)
            return "a lighthouse at dusk"

        return arrange


class TestGeminiFlashImage(_OnTheFake):
    model = FLASH
    generate_kwargs = {"width": 1024, "height": 1024}


# google-genai marks generate_images (Imagen) deprecated; the warning is the SDK's to give.
@pytest.mark.filterwarnings("ignore:The generate_images method is deprecated")
class TestImagenOnVertex(_OnTheFake):
    model = IMAGEN
    generate_kwargs = {"width": 1280, "height": 896, "seed": 11}

    @pytest.fixture
    def client_options(self, api: FakeGemini) -> dict[str, Any]:
        return {"base_url": api.url, "api_key": API_KEY, "vertexai": True}
