"""Evaluations: run one prompt over a data set on several models and score every row.

``Benchmark(prompt, data, scorer).run({"name": client_or_model_string})`` gives
:class:`BenchmarkResults` (per-client figures and every row). Scorers live in
:mod:`aimu_core.prompts`. Names load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "Benchmark": "benchmark",
    "BenchmarkResults": "benchmark",
    "ClientSummary": "benchmark",
    "RowResult": "benchmark",
    "RowTask": "benchmark",
}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:
    from .benchmark import Benchmark, BenchmarkResults, ClientSummary, RowResult, RowTask


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value
