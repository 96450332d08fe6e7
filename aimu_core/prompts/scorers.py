"""Scorers: how good one output is, as a number in ``[0, 1]`` and a reason.

A :class:`Scorer` rates one model output against its data row
(``scorer.score(output, row)``). ``PromptTuner``'s judged tuner and ``Benchmark``
both use them. A scorer that cannot rate an output (a judge whose reply holds
no rating) says so with ``Score(None, reason)``: the row is *unscored*, which
the results count, rather than given a made-up middle score.

Scorers are shipped to other processes by executors such as aimu-ray's, so
they hold plain data: :class:`LLMJudgeScorer` given a model string builds its
judge client where it runs.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigurationError

__all__ = [
    "JUDGE_PROMPT",
    "ContainsScorer",
    "ExactMatchScorer",
    "JSONFieldScorer",
    "LLMJudgeScorer",
    "RegexScorer",
    "Score",
    "Scorer",
    "parse_json_object",
]


@dataclass(frozen=True)
class Score:
    """A rating: ``value`` in ``[0, 1]``, or ``None`` when the output could not be rated."""

    value: float | None
    reason: str = ""

    @property
    def scored(self) -> bool:
        return self.value is not None


class Scorer(ABC):
    """Rates one output against its data row.

    *row* is the data row the prompt was filled from (``content``,
    ``expected``, ``reference`` ... whatever columns the data has).
    """

    @abstractmethod
    def score(self, output: str, row: Mapping[str, Any]) -> Score: ...


def _expected(row: Mapping[str, Any], field: str, scorer: str) -> Any:
    if field not in row:
        raise ConfigurationError(
            f"{scorer} reads the expected answer from the row's {field!r} column, which this "
            f"row lacks (it has: {', '.join(map(str, row)) or 'nothing'}); add the column or "
            f"pass field=... naming the one that holds it"
        )
    return row[field]


def _norm(text: Any, case_sensitive: bool) -> str:
    text = " ".join(str(text).split())
    return text if case_sensitive else text.casefold()


class ExactMatchScorer(Scorer):
    """1 when the output equals the row's *field* (whitespace-normalized, case-folded), else 0."""

    def __init__(self, field: str = "expected", *, case_sensitive: bool = False) -> None:
        self.field = field
        self.case_sensitive = case_sensitive

    def score(self, output: str, row: Mapping[str, Any]) -> Score:
        expected = _expected(row, self.field, type(self).__name__)
        if _norm(output, self.case_sensitive) == _norm(expected, self.case_sensitive):
            return Score(1.0, "exact match")
        return Score(0.0, f"expected {str(expected)!r}")


class ContainsScorer(Scorer):
    """1 when the output contains the row's *field* (or every item of it, if a list), else
    the fraction of items found."""

    def __init__(self, field: str = "expected", *, case_sensitive: bool = False) -> None:
        self.field = field
        self.case_sensitive = case_sensitive

    def score(self, output: str, row: Mapping[str, Any]) -> Score:
        expected = _expected(row, self.field, type(self).__name__)
        items = expected if isinstance(expected, list | tuple) else [expected]
        if not items:
            return Score(1.0, "nothing expected")
        text = _norm(output, self.case_sensitive)
        missing = [str(i) for i in items if _norm(i, self.case_sensitive) not in text]
        if not missing:
            return Score(1.0, "contains all expected text")
        return Score(1 - len(missing) / len(items), f"missing: {', '.join(map(repr, missing))}")


class RegexScorer(Scorer):
    """1 when *pattern* is found in the output (``re.search``), else 0.

    Without a *pattern*, the pattern is read from the row's *field*.
    """

    def __init__(
        self, pattern: str | None = None, *, field: str = "expected", flags: int = 0
    ) -> None:
        self.pattern = re.compile(pattern, flags) if pattern is not None else None
        self.field = field
        self.flags = flags

    def score(self, output: str, row: Mapping[str, Any]) -> Score:
        pattern = self.pattern
        if pattern is None:
            source = str(_expected(row, self.field, type(self).__name__))
            try:
                pattern = re.compile(source, self.flags)
            except re.error as exc:
                raise ConfigurationError(f"the row's pattern {source!r} is invalid: {exc}") from exc
        if pattern.search(output):
            return Score(1.0, f"matches {pattern.pattern!r}")
        return Score(0.0, f"does not match {pattern.pattern!r}")


def parse_json_object(text: str) -> dict[str, Any] | None:
    """The JSON object in a model's reply: the whole reply, a fenced block, or the outermost
    ``{...}``; ``None`` when there is none. (The runners' verdict parser reads it the same way.)"""
    from ..agents.prompts import _json_object

    return _json_object(text)


class JSONFieldScorer(Scorer):
    """The fraction of expected fields the output's JSON object gets right.

    The row's *field* holds the expected object (a dict, or its JSON text);
    *fields* limits which keys count (all of the expected object's by default).
    Values compare as whitespace-stripped strings, so ``42`` matches ``"42"``.
    An output with no JSON object scores 0.
    """

    def __init__(self, fields: Sequence[str] | None = None, *, field: str = "expected") -> None:
        self.fields = list(fields) if fields is not None else None
        self.field = field

    def score(self, output: str, row: Mapping[str, Any]) -> Score:
        expected = _expected(row, self.field, type(self).__name__)
        if isinstance(expected, str):
            expected = parse_json_object(expected)
        if not isinstance(expected, Mapping):
            raise ConfigurationError(
                f"JSONFieldScorer needs the row's {self.field!r} to be a JSON object"
            )
        keys = self.fields if self.fields is not None else list(expected)
        if not keys:
            return Score(1.0, "no fields expected")
        got = parse_json_object(output)
        if got is None:
            return Score(0.0, "the output holds no JSON object")
        wrong = [
            f"{key}: expected {expected.get(key)!r}, got {got.get(key)!r}"
            for key in keys
            if str(got.get(key, "")).strip() != str(expected.get(key, "")).strip()
        ]
        if not wrong:
            return Score(1.0, "every field matches")
        return Score(1 - len(wrong) / len(keys), "; ".join(wrong))


JUDGE_PROMPT = """Rate how well the response satisfies the criteria, from 1 (not at all) to 10 (fully).

Criteria: {criteria}

Input: {content}
{reference}
Response: {output}

Answer with "Rating: N/10" on the first line, then one sentence saying why."""


class LLMJudgeScorer(Scorer):
    """A judge model rates each output from 1 to 10 with a reason; the score is rating / 10.

    *judge* is a client or a model string (with *options* for its client). A
    model string is what executors such as aimu-ray can ship to other processes:
    each thread or process builds its own judge client from it. The rating is
    read by :func:`aimu_core.agents.prompts.parse_score`; a reply holding no
    rating gives ``Score(None, reply)`` (an unscored row), never a guess.

    The prompt template's ``{criteria}``, ``{content}``, ``{reference}`` and
    ``{output}`` are filled per row (``content``/``reference`` columns, when present).
    """

    def __init__(
        self,
        judge: Any,
        criteria: str,
        *,
        prompt: str = JUDGE_PROMPT,
        options: Mapping[str, Any] | None = None,
        generate_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        from ..agents.recipe import ClientRecipe

        self.judge = judge
        self.criteria = criteria
        self.prompt = prompt
        self.generate_kwargs = dict(generate_kwargs or {})
        self._recipe = ClientRecipe(judge, options or {}) if isinstance(judge, str) else None

    def __getstate__(self) -> dict[str, Any]:
        if self._recipe is None:
            raise ConfigurationError(
                "an LLMJudgeScorer holding a client cannot be sent to another process; give "
                "the judge as a model string (LLMJudgeScorer('provider:model', ...))"
            )
        return dict(vars(self))

    def score(self, output: str, row: Mapping[str, Any]) -> Score:
        from ..agents.prompts import fill, parse_score
        from ..agents.recipe import ask

        reference = row.get("reference")
        text = fill(
            self.prompt,
            criteria=self.criteria,
            content=str(row.get("content", "")),
            reference=f"Reference answer: {reference}" if reference else "",
            output=output,
        )
        reply = ask(self._recipe or self.judge, text, self.generate_kwargs)
        value = parse_score(reply)
        if value is None:
            return Score(None, f"unparseable rating: {reply.strip()[:500]}")
        return Score(value, reply.strip())
