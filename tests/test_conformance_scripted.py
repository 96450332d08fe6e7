"""The scripted provider passes the same conformance kit third-party providers run.

It is scripted in-process, the way a deterministic in-process provider is:
``script_option`` names the client option that takes the kit's ``Script``.
"""

from __future__ import annotations

from typing import Any

import pytest

from aimu_core.testing import Script, Turn
from aimu_core.testing.conformance import ProviderConformance


class TestScriptedConformance(ProviderConformance):
    model = "scripted:scripted"
    script_option = "script"


class TestScriptedWithoutCapabilities(TestScriptedConformance):
    """The capability-gated tests take their other branch on a model without capabilities."""

    model = "scripted:echo"


class TestScriptedThinkTags(TestScriptedConformance):
    """Thinking delivered inside <think> tags in the text is split out the same way."""

    @pytest.fixture
    def script(self, in_process_script: Script) -> Any:
        def add(new: list[Turn]) -> None:
            for turn in new:
                turn.think_tags = bool(turn.thinking)
            in_process_script.add(*new)

        return add


class TestScriptedOverClientOptions(ProviderConformance):
    """Scripting through ``client_options`` and the ``script`` fixture, as before ``script_option``."""

    model = "scripted:scripted"

    @pytest.fixture
    def turns(self) -> Script:
        return Script([])

    @pytest.fixture
    def client_options(self, turns: Script) -> dict[str, Any]:
        return {"script": turns}

    @pytest.fixture
    def script(self, turns: Script) -> Any:
        return lambda new: turns.add(*new)
