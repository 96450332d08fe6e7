"""Fixtures: a fake Ollama server on loopback, and clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aimu_ollama.testing import FakeOllama

import aimu_core


@pytest.fixture(scope="session")
def _server() -> Iterator[FakeOllama]:
    # One server for the session: stopping one waits for its poll interval.
    with FakeOllama() as server:
        yield server


@pytest.fixture
def server(_server: FakeOllama, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOllama]:
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    monkeypatch.delenv("OLLAMA_API_KEY", raising=False)
    _server.reset()
    yield _server
    _server.reset()


@pytest.fixture
def options(server: FakeOllama) -> dict[str, Any]:
    return {"base_url": server.url}


@pytest.fixture
def make(options: dict[str, Any]) -> Any:
    """``make(model="qwen3:8b", **options)`` builds a sync client on the fake server."""

    def build(model: str = "qwen3:8b", **extra: Any) -> Any:
        return aimu_core.client(f"ollama:{model}", **{**options, **extra})

    return build
