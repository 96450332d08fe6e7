"""aimu-core's image conformance kit on a tiny random-weight pipeline loaded through
``hf:<directory>``, the real diffusers code end to end.

The kit's fault matrix is about network APIs (keys, rate limits, refused
connections); an in-process pipeline has none, so ``faults`` stays empty. Its
own failures (missing directory, wrong pipeline type, bad sizes) are in
test_images.py.
"""

from __future__ import annotations

import pytest

from aimu_core.testing.image_conformance import ImageProviderConformance


class TestHuggingFaceImageConformance(ImageProviderConformance):
    generate_kwargs = {"width": 32, "height": 24, "steps": 2}
    api_key_option = ""

    @pytest.fixture
    def model_string(self, tiny_pipeline_dir: str) -> str:
        return f"hf:{tiny_pipeline_dir}"
