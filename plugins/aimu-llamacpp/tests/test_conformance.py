"""The core's provider conformance kit, live against the real embedded model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import aimu_core
from aimu_core.testing.conformance import ProviderConformance


class TestLlamaCppConformance(ProviderConformance):
    """``llamacpp:gemma-3-270m``: no tools, thinking or vision, so those tests take their other branch."""

    model = "llamacpp:gemma-3-270m"

    @pytest.fixture
    def client_options(self, options: dict[str, Any], session_client: Any) -> dict[str, Any]:
        return dict(options)


class TestLlamaCppPathConformance(TestLlamaCppConformance):
    """The same GGUF named by its path: an ad-hoc model of the open catalog."""

    model = "llamacpp:<path of the embedded GGUF>"

    @pytest.fixture
    def make_client(self, client_options: dict[str, Any], model_path: str) -> Callable[..., Any]:
        def make(**extra: Any) -> Any:
            return aimu_core.client(f"llamacpp:{model_path}", **{**client_options, **extra})

        return make

    @pytest.fixture
    def make_async_client(
        self, client_options: dict[str, Any], model_path: str
    ) -> Callable[..., Any]:
        from aimu_core import aio

        def make(**extra: Any) -> Any:
            return aio.client(f"llamacpp:{model_path}", **{**client_options, **extra})

        return make
