"""aimu-deepeval: DeepEval metrics for aimu.

* :class:`DeepEvalModel`: any aimu client (sync or async, or a model string)
  as DeepEval's judge model;
* :class:`DeepEvalScorer`: DeepEval metrics as an aimu
  :class:`~aimu_core.prompts.Scorer`, so they score a ``Benchmark`` or a ``JudgedTuner``.

``import aimu_deepeval`` is cheap: deepeval (a large package) is imported when
one of these names is first used. This distribution contributes no plugin
hook, so it declares no entry point.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {"DeepEvalModel": "model", "DeepEvalScorer": "scorer"}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:
    from .model import DeepEvalModel
    from .scorer import DeepEvalScorer


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value
