"""Fixtures: a fake Gemini API on loopback, and clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aimu_gemini.testing import FakeGemini

import aimu_core

#: A key that looks real enough; tests check it never leaks.
API_KEY = "AIzaSy-test-0123456789abcdefGHIJ"
FLASH = "gemini:gemini-2.5-flash-image"
IMAGEN = "gemini:imagen-4.0-generate-001"


@pytest.fixture(autouse=True)
def _no_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def _server() -> Iterator[FakeGemini]:
    # One server for the session: stopping one waits for its poll interval.
    with FakeGemini() as server:
        yield server


@pytest.fixture
def api(_server: FakeGemini) -> Iterator[FakeGemini]:
    _server.reset()
    yield _server
    _server.reset()


@pytest.fixture
def options(api: FakeGemini) -> dict[str, Any]:
    return {"base_url": api.url, "api_key": API_KEY}


@pytest.fixture
def make(options: dict[str, Any]) -> Any:
    """``make(model=FLASH, **options)`` builds a sync image client on the fake API."""

    def build(model: str = FLASH, **extra: Any) -> Any:
        if model == IMAGEN:
            extra.setdefault("vertexai", True)
        return aimu_core.image_client(model, **{**options, **extra})

    return build
