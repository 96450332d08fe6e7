"""aimu-anthropic passes the core's provider conformance kit against the fake Messages API."""

from __future__ import annotations

from typing import Any

import pytest
from aimu_anthropic.testing import FakeAnthropic

from aimu_core.testing.conformance import ProviderConformance


class TestAnthropicConformance(ProviderConformance):
    """A thinking, tool-using, vision model: every capability-gated test runs."""

    model = "anthropic:claude-sonnet-4-6"

    @pytest.fixture
    def client_options(self, options: dict[str, Any]) -> dict[str, Any]:
        return options

    @pytest.fixture
    def script(self, api: FakeAnthropic) -> Any:
        return api.script


class TestAnthropicWithoutThinking(TestAnthropicConformance):
    """A model without thinking: the thinking test takes its other branch."""

    model = "anthropic:claude-haiku-4-5"


class TestAnthropicAdHocModel(TestAnthropicConformance):
    """A model outside the catalog, declared with vision only (no tools, no thinking)."""

    model = "anthropic:claude-plain-1;vision"
