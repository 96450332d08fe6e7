"""The core's provider conformance kit on ``hf:`` models: a tiny random-weight model, loaded
by path through transformers, scripted by forcing its tokens (real generation), and live."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from aimu_hf.text_testing import ForcedScript

from aimu_core.testing.conformance import ProviderConformance
from aimu_core.testing.scripted import FAILURES, HTTP_ONLY


class TestHuggingFaceForcedConformance(ProviderConformance):
    """Every test scripted: each turn is written token by token by ``model.generate``."""

    generate_kwargs: ClassVar[dict[str, Any]] = {"max_tokens": 64}
    # In process: no HTTP exchange to time out, refuse or garble, and no API key; nor a
    # connection to cut under a whole (non-streamed) reply, which the matrix's stream_cut
    # expects. A cut stream is test_stream_cut_leaves_history_unchanged's.
    faults: ClassVar[tuple[str, ...]] = tuple(sorted(set(FAILURES) - HTTP_ONLY - {"stream_cut"}))
    api_key_option: ClassVar[str] = ""

    @pytest.fixture
    def model_string(self, tiny_model_dir: str) -> str:
        return f"hf:{tiny_model_dir};tools,thinking"

    @pytest.fixture
    def forced(self, tiny_model_dir: str) -> ForcedScript:
        from transformers import AutoTokenizer

        return ForcedScript(AutoTokenizer.from_pretrained(tiny_model_dir))

    @pytest.fixture
    def client_options(self, forced: ForcedScript) -> dict[str, Any]:
        from transformers import LogitsProcessorList

        return {"default_generate_kwargs": {"logits_processor": LogitsProcessorList([forced])}}

    @pytest.fixture
    def script(self, forced: ForcedScript) -> Any:
        return forced.add

    @pytest.fixture
    def unreachable(
        self, model_string: str, client_options: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """Unused: an in-process model has no connection to refuse (not in ``faults``)."""
        return model_string, client_options


class TestHuggingFaceLiveConformance(ProviderConformance):
    """The same model unscripted: random weights, so the tests check the contract's shape;
    the failure test overflows the context window."""

    @pytest.fixture
    def model_string(self, tiny_model_dir: str) -> str:
        return f"hf:{tiny_model_dir}"


class TestHuggingFaceTranscriptConformance(TestHuggingFaceLiveConformance):
    """A tokenizer without a chat template: the plain-transcript fallback."""

    @pytest.fixture
    def model_string(self, tiny_base_dir: str) -> str:
        return f"hf:{tiny_base_dir}"
