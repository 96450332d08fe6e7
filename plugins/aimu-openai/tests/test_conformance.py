"""The core conformance kit: scripted against the loopback wire server, live against llama-cpp-python."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from aimu_openai.testing import OpenAIWireServer

from aimu_core.testing import Turn
from aimu_core.testing.conformance import ProviderConformance
from conftest import LIVE_MODEL


class _ScriptedWire(ProviderConformance):
    """Runs the kit against :class:`OpenAIWireServer`; ``{url}`` in ``model`` is the server's API root."""

    @pytest.fixture
    def client_options(self, wire: OpenAIWireServer) -> dict[str, Any]:
        options: dict[str, Any] = {"api_key": "sk-conformance-key", "max_retries": 0}
        if "{url}" not in self.model:
            options["base_url"] = wire.url
        return options

    @pytest.fixture
    def script(self, wire: OpenAIWireServer) -> Any:
        return wire.script

    @pytest.fixture
    def model_string(self, wire: OpenAIWireServer) -> str:
        return self.model.format(url=wire.url)


class TestOpenAICompatScripted(_ScriptedWire):
    model = "openai-compat:scripted@{url};tools,thinking,vision"


class TestOpenAICompatWithoutCapabilities(_ScriptedWire):
    """The capability-gated tests take their other branch."""

    model = "openai-compat:plain@{url}"


class TestOpenAICompatThinkTags(_ScriptedWire):
    """Reasoning inside <think> tags in the streamed content is split out by the core."""

    model = "openai-compat:scripted@{url};tools,thinking,vision"

    @pytest.fixture
    def script(self, wire: OpenAIWireServer) -> Any:
        def add(turns: list[Turn]) -> None:
            for turn in turns:
                turn.think_tags = bool(turn.thinking)
            wire.script(turns)

        return add


class TestReasoningFieldVariant(_ScriptedWire):
    """Servers that name the field ``reasoning`` (vLLM, OpenRouter) rather than ``reasoning_content``."""

    model = "llamaserver:scripted@{url};tools,thinking,vision"

    @pytest.fixture
    def wire(self, _wire_server: OpenAIWireServer) -> OpenAIWireServer:
        _wire_server.reset(reasoning_field="reasoning")
        return _wire_server


class TestOpenAIScripted(_ScriptedWire):
    model = "openai:gpt-4o"


class TestOpenAIReasoningModelScripted(_ScriptedWire):
    model = "openai:o4-mini"


class TestGeminiScripted(_ScriptedWire):
    model = "gemini:gemini-2.5-flash"


class TestLlamaCppServerLive(ProviderConformance):
    """A real model behind a real OpenAI-compatible server (llama-cpp-python), through the real SDK."""

    model: ClassVar[str] = f"openai-compat:{LIVE_MODEL}@{{url}}"

    @pytest.fixture
    def client_options(self) -> dict[str, Any]:
        return {"max_retries": 0, "timeout": 120}

    @pytest.fixture
    def model_string(self, llama_server: str) -> str:
        return self.model.format(url=llama_server)
