"""``DeepEvalScorer``: DeepEval metrics as an aimu ``Scorer``.

Each row becomes an ``LLMTestCase`` (``input`` from the row's ``content`` or
``input``, ``actual_output`` the model's output, ``expected_output`` from
``expected`` or ``reference``, ``context`` and ``retrieval_context`` when the
row has them). Every metric measures it; the score is their mean and the reason
their reasons joined. A metric that fails (a judge reply DeepEval cannot read)
makes the row unscored, with the failure as the reason: a mean over the
metrics that happened to work would not be the score asked for.

A metric in async mode is measured with ``a_measure`` on an event loop that is
closed afterwards. A metric keeps its last score on itself, so each row is measured on a shallow
copy of each metric: rows scored on several threads do not overwrite each other.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from aimu_core.errors import ConfigurationError
from aimu_core.prompts import Score, Scorer

from .model import _run_coroutine

__all__ = ["DeepEvalScorer"]


class DeepEvalScorer(Scorer):
    """The mean score of DeepEval *metrics* (e.g. ``AnswerRelevancyMetric``, ``GEval``)."""

    def __init__(self, metrics: Sequence[Any]) -> None:
        self.metrics = list(metrics)
        if not self.metrics:
            raise ConfigurationError("DeepEvalScorer needs at least one DeepEval metric")
        for metric in self.metrics:
            if not callable(getattr(metric, "measure", None)):
                raise ConfigurationError(
                    f"{type(metric).__name__} is not a DeepEval metric (it has no measure())"
                )

    def score(self, output: str, row: Mapping[str, Any]) -> Score:
        case = _test_case(output, row)
        values: list[float] = []
        reasons: list[str] = []
        for metric in self.metrics:
            mine = copy.copy(metric)
            name = _name(mine)
            try:
                if getattr(mine, "async_mode", False):
                    # DeepEval would open an event loop per thread and leave it open.
                    _run_coroutine(mine.a_measure(case, _show_indicator=False))
                else:
                    mine.measure(case, _show_indicator=False)
            except Exception as exc:  # the row is unscored, not the run stopped
                return Score(None, f"{name} failed: {type(exc).__name__}: {exc}")
            if mine.score is None:
                return Score(None, f"{name} gave no score")
            values.append(float(mine.score))
            reasons.append(f"{name}: {mine.reason}" if mine.reason else name)
        return Score(sum(values) / len(values), "; ".join(reasons))


def _name(metric: Any) -> str:
    name = getattr(metric, "name", None) or getattr(metric, "__name__", None)
    return str(name) if isinstance(name, str) else type(metric).__name__


def _test_case(output: str, row: Mapping[str, Any]) -> Any:
    from deepeval.test_case import LLMTestCase

    expected = row.get("expected", row.get("reference"))
    return LLMTestCase(
        input=str(row.get("content", row.get("input", ""))),
        actual_output=output,
        expected_output=None if expected is None else str(expected),
        context=_texts(row.get("context")),
        retrieval_context=_texts(row.get("retrieval_context")),
    )


def _texts(value: Any) -> list[str] | None:
    if value is None:
        return None
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
