"""Importing aimu_core, its prompts and evals, or aimu_deepeval loads neither deepeval nor pandas."""

from __future__ import annotations

from aimu_core.testing import modules_after


def test_import_is_cheap() -> None:
    code = "import aimu_core, aimu_core.prompts, aimu_core.evals, aimu_deepeval"
    loaded = modules_after(code, prefix="")
    assert not {m for m in loaded if m.split(".")[0] in {"deepeval", "pandas", "ray", "openai"}}
    assert "deepeval" in modules_after(code + "\naimu_deepeval.DeepEvalModel", prefix="deepeval")
