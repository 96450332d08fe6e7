"""Fixtures shared by aimu-hf's tests (each part adds its own below)."""

from __future__ import annotations

import pytest

# -- text models (tests/test_text*.py) ------------------------------------------------


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tiny random-weight Qwen2 with a ChatML (tools) chat template, saved once."""
    from aimu_hf.text_testing import build_tiny_model

    return str(build_tiny_model(tmp_path_factory.mktemp("tiny-chatml")))


@pytest.fixture(scope="session")
def tiny_base_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The same kind of model with a tokenizer that has no chat template."""
    from aimu_hf.text_testing import build_tiny_model

    return str(build_tiny_model(tmp_path_factory.mktemp("tiny-base"), chat_template=None))


@pytest.fixture(scope="session")
def tiny_thinking_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tiny model whose template opens a ``<think>`` block for the reply."""
    from aimu_hf.text_testing import THINKING_TEMPLATE, build_tiny_model

    return str(
        build_tiny_model(tmp_path_factory.mktemp("tiny-think"), chat_template=THINKING_TEMPLATE)
    )


# -- image pipelines (tests/test_images*.py) ------------------------------------------


@pytest.fixture(scope="session")
def tiny_pipeline_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tiny random-weight Stable Diffusion pipeline directory, saved once."""
    from aimu_hf.images_testing import save_tiny_pipeline

    return str(save_tiny_pipeline(tmp_path_factory.mktemp("tiny-sd") / "pipeline"))
