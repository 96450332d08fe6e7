"""The scripted provider passes the same conformance kit third-party providers run.

It is scripted in-process, the way a deterministic in-process provider is:
``script_option`` names the client option that takes the kit's ``Script``.
"""

from __future__ import annotations

from typing import Any

import pytest

from aimu_core.testing import HTTP_ONLY, Script, Turn
from aimu_core.testing.conformance import FAULTS, ProviderConformance


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
    """Scripting through ``client_options`` and the ``script`` fixture, as before ``script_option``.

    The kit takes it for a fake over the wire, so it says what it cannot do: the
    faults that need HTTP are skipped, and the client takes no API key.
    """

    model = "scripted:scripted"
    faults = set(FAULTS) - HTTP_ONLY - {"connection_refused"}
    api_key_option = ""

    @pytest.fixture
    def turns(self) -> Script:
        return Script([])

    @pytest.fixture
    def client_options(self, turns: Script) -> dict[str, Any]:
        return {"script": turns}

    @pytest.fixture
    def script(self, turns: Script) -> Any:
        return lambda new: turns.add(*new)


class TestFaultMatrixDeclarations:
    """What each kind of test class runs of the fault matrix, and why not the rest."""

    def test_in_process_runs_what_a_script_can_raise(self) -> None:
        matrix = TestScriptedConformance.fault_matrix()
        assert {f for f, why in matrix.items() if why is None} == (
            set(FAULTS) - HTTP_ONLY - {"connection_refused"}
        )
        assert all("in-process" in str(why) for f, why in matrix.items() if why)

    def test_over_the_wire_runs_what_it_declares(self) -> None:
        matrix = TestScriptedOverClientOptions.fault_matrix()
        assert {f for f, why in matrix.items() if why} == HTTP_ONLY | {"connection_refused"}
        assert "TestScriptedOverClientOptions.faults" in str(matrix["timeout"])

    def test_live_runs_none_and_collects_none(self) -> None:
        class TestLive(ProviderConformance):
            model = "scripted:scripted"

        assert all("live" in str(why) for why in TestLive.fault_matrix().values())
        assert TestLive.test_fault is None  # not collected: nothing to skip in every live run

    def test_an_unknown_fault_is_refused(self) -> None:
        with pytest.raises(ValueError, match="unknown faults"):

            class TestTypo(ProviderConformance):
                script_option = "script"
                faults = ("rate_limited",)
