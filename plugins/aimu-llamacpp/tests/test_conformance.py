"""The core's provider conformance kit, live against the real embedded model."""

from __future__ import annotations

from typing import Any

import pytest

from aimu_core.testing.conformance import ProviderConformance


class TestLlamaCppConformance(ProviderConformance):
    """``llamacpp:gemma-3-270m``: no tools, thinking or vision, so those tests take their other branch."""

    model = "llamacpp:gemma-3-270m"

    @pytest.fixture
    def client_options(self, options: dict[str, Any], session_client: Any) -> dict[str, Any]:
        return dict(options)


class TestLlamaCppPathConformance(TestLlamaCppConformance):
    """The same GGUF named by its path: an ad-hoc model of the open catalog."""

    @pytest.fixture
    def model_string(self, model_path: str) -> str:
        return f"llamacpp:{model_path}"
