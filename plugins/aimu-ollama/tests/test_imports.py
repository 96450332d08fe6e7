"""Building a client of this plugin imports the client stack, no runner and no other plugin."""

from __future__ import annotations

from aimu_core.testing import RUNNER_PACKAGES, modules_after


def test_building_a_client_imports_no_runner() -> None:
    code = "import aimu_core; aimu_core.client('ollama:qwen3:8b@http://127.0.0.1:9')"
    loaded = modules_after(code)
    assert "aimu_ollama.client" in loaded
    assert not {m for m in loaded if m.startswith(RUNNER_PACKAGES)}
    assert not {m for m in loaded if m.startswith("aimu_core.aio")}


def test_discovery_imports_no_sdk() -> None:
    loaded = modules_after(
        "import aimu_core.plugins; aimu_core.plugins.get_manager()", prefix="ollama"
    )
    assert loaded == set()
