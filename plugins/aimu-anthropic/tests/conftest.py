"""Fixtures: a fake Anthropic Messages API on loopback, and clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aimu_anthropic.testing import FakeAnthropic

import aimu_core

#: A key that looks real enough; tests check it never leaks.
API_KEY = "sk-ant-test-0123456789abcdef"


@pytest.fixture
def api_key() -> str:
    return API_KEY


@pytest.fixture(scope="session")
def _server() -> Iterator[FakeAnthropic]:
    # One server for the session: stopping one waits for its poll interval.
    with FakeAnthropic() as server:
        yield server


@pytest.fixture
def api(_server: FakeAnthropic) -> Iterator[FakeAnthropic]:
    _server.reset()
    yield _server
    _server.reset()


@pytest.fixture
def options(api: FakeAnthropic) -> dict[str, Any]:
    return {"base_url": api.url, "api_key": API_KEY, "max_retries": 0}


@pytest.fixture
def make(options: dict[str, Any]) -> Any:
    """``make(model="claude-sonnet-4-6", **options)`` builds a sync client on the fake API."""

    def build(model: str = "claude-sonnet-4-6", **extra: Any) -> Any:
        return aimu_core.client(f"anthropic:{model}", **{**options, **extra})

    return build
