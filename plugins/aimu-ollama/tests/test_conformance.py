"""aimu-ollama passes the core's provider conformance kit against the fake Ollama server."""

from __future__ import annotations

from typing import Any

import pytest
from aimu_ollama.testing import FakeOllama

from aimu_core.testing import Turn
from aimu_core.testing.conformance import ProviderConformance


class TestOllamaConformance(ProviderConformance):
    """A thinking, tool-using model: thinking arrives in Ollama's ``thinking`` field."""

    model = "ollama:qwen3:8b"

    @pytest.fixture
    def client_options(self, options: dict[str, Any]) -> dict[str, Any]:
        return options

    @pytest.fixture
    def script(self, server: FakeOllama) -> Any:
        return server.script


class TestOllamaVisionModel(TestOllamaConformance):
    """A vision model without tools or thinking."""

    model = "ollama:gemma3"


class TestOllamaAdHocModelAtURL(TestOllamaConformance):
    """A tag outside the catalog, with flags, reached through the model string's @url."""

    model = "ollama:my-model:7b"

    @pytest.fixture
    def client_options(self, options: dict[str, Any]) -> dict[str, Any]:
        return {}

    @pytest.fixture(autouse=True)
    def _model_string(self, server: FakeOllama) -> None:
        self.model = f"ollama:my-model:7b@{server.url};tools,thinking"


class TestOllamaThinkTags(TestOllamaConformance):
    """Reasoning written inside <think> tags in the content (older servers) is split out too."""

    @pytest.fixture
    def script(self, server: FakeOllama) -> Any:
        def add(turns: list[Turn]) -> None:
            for turn in turns:
                turn.think_tags = bool(turn.thinking)
            server.script(turns)

        return add
