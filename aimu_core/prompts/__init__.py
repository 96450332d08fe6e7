"""Prompts: a versioned catalog, scorers, and a tuner that hill-climbs a prompt.

:class:`PromptCatalog` keeps every version of a prompt per model in SQLite;
the :class:`Scorer` classes rate outputs; the tuners
(:class:`ClassificationTuner`, :class:`MultiClassTuner`, :class:`ExtractionTuner`,
:class:`JudgedTuner`) improve a prompt against labelled data. Standard library
only. Names load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "Prompt": "catalog",
    "PromptCatalog": "catalog",
    "model_id": "catalog",
    "load_rows": "data",
    "fill_row": "templates",
    "ContainsScorer": "scorers",
    "ExactMatchScorer": "scorers",
    "JSONFieldScorer": "scorers",
    "LLMJudgeScorer": "scorers",
    "RegexScorer": "scorers",
    "Score": "scorers",
    "Scorer": "scorers",
    "ClassificationTuner": "tuner",
    "ExtractionTuner": "tuner",
    "Iteration": "tuner",
    "JudgedTuner": "tuner",
    "MultiClassTuner": "tuner",
    "PromptTuner": "tuner",
    "TuneResult": "tuner",
}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:
    from .catalog import Prompt, PromptCatalog, model_id
    from .data import load_rows
    from .scorers import (
        ContainsScorer,
        ExactMatchScorer,
        JSONFieldScorer,
        LLMJudgeScorer,
        RegexScorer,
        Score,
        Scorer,
    )
    from .templates import fill_row
    from .tuner import (
        ClassificationTuner,
        ExtractionTuner,
        Iteration,
        JudgedTuner,
        MultiClassTuner,
        PromptTuner,
        TuneResult,
    )


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value
