"""Fixtures: the real embedded model, loaded once per test session.

Every client in these tests uses the same load options, so all of them share
the one loaded model in the plugin's process cache. A small context window and
two threads keep the suite fast on a small CI machine.
"""

from __future__ import annotations

from typing import Any

import pytest

import aimu_core

MODEL = "llamacpp:gemma-3-270m"
OPTIONS: dict[str, Any] = {"n_ctx": 2048, "n_threads": 2}


@pytest.fixture(scope="session")
def options() -> dict[str, Any]:
    """Client options every test uses (so all share one loaded model)."""
    return dict(OPTIONS)


@pytest.fixture(scope="session")
def session_client() -> Any:
    """The first client: assembles the GGUF if needed and loads the weights."""
    return aimu_core.client(MODEL, **OPTIONS)


@pytest.fixture(scope="session")
def model_path(session_client: Any) -> str:
    return str(session_client.model_path)


@pytest.fixture
def client(session_client: Any) -> Any:
    """A fresh conversation on the already-loaded model."""
    return aimu_core.client(MODEL, **OPTIONS)
