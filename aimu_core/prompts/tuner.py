"""``PromptTuner``: hill-climb a prompt against labelled rows, and its four tuners.

The loop (:meth:`PromptTuner.tune`): run the prompt on every row and score it;
keep it if it scores at least as well as the best so far, else go back to the
best; stop when every row is right or after ``max_iterations`` evaluations;
otherwise show the model a sample of the best prompt's failures and ask for a
better prompt inside ``<prompt>`` tags. Every evaluated prompt is kept in
:attr:`TuneResult.iterations` and, with a catalog, saved as a version of its own.

A tuner says how to run one row and judge it (:meth:`PromptTuner.run_row`),
what its figures are (:meth:`PromptTuner.metrics`) and how to word the request
for a better prompt (:meth:`PromptTuner.mutation_prompt`):

* :class:`ClassificationTuner`: yes/no (rows ``content``, ``label`` bool; the model answers ``[YES]``/``[NO]``);
* :class:`MultiClassTuner`: one of several classes (rows ``content``, ``label``);
* :class:`ExtractionTuner`: JSON fields (rows ``content``, ``expected`` dict);
* :class:`JudgedTuner`: open-ended output rated by a :class:`~aimu_core.prompts.Scorer`.
"""

from __future__ import annotations

import random
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..agents.recipe import ask
from ..errors import ConfigurationError
from .catalog import PromptCatalog, model_id
from .scorers import JSONFieldScorer, Scorer, parse_json_object
from .templates import fill_row

__all__ = [
    "ClassificationTuner",
    "ExtractionTuner",
    "Iteration",
    "JudgedTuner",
    "MultiClassTuner",
    "PromptTuner",
    "RowOutcome",
    "TuneResult",
]

_PROMPT_TAG = re.compile(r"<prompt>(.*?)(?:</prompt>|$)", re.DOTALL | re.IGNORECASE)

ASK_FOR_PROMPT = (
    "Improve the task prompt so that it handles all of these examples correctly. Keep its "
    "{content} placeholder. Reply with the improved prompt wrapped in <prompt></prompt> tags."
)


@dataclass(frozen=True)
class RowOutcome:
    """One row under one prompt: the model's output, whether it is right, and why not."""

    row: Mapping[str, Any]
    output: str
    correct: bool
    detail: Any = None  # what the tuner read from the output (a class, a dict, a Score)


@dataclass(frozen=True)
class Iteration:
    """One evaluated prompt: its figures, its score, and whether it became the best."""

    number: int
    prompt: str
    metrics: dict[str, Any]
    score: float
    kept: bool


@dataclass
class TuneResult:
    """The best prompt, its figures, and every iteration in order."""

    prompt: str
    metrics: dict[str, Any]
    iterations: list[Iteration] = field(default_factory=list)


class PromptTuner(ABC):
    """Hill-climbs a prompt on *client* (which both answers the rows and rewrites the prompt).

    Each row and each rewrite is one question on a fresh conversation of the
    client's (a copy sharing its connection); the client's own history is untouched.

    *generate_kwargs* are for answering rows, *mutation_kwargs* for writing a
    new prompt; *seed* makes the choice of failures shown to the model repeatable.
    """

    def __init__(
        self,
        client: Any,
        *,
        generate_kwargs: Mapping[str, Any] | None = None,
        mutation_kwargs: Mapping[str, Any] | None = None,
        seed: int | None = None,
    ) -> None:
        self.client = client
        self.generate_kwargs = dict(generate_kwargs or {})
        self.mutation_kwargs = dict(mutation_kwargs or {})
        self._random = random.Random(seed)

    # -- what a tuner defines ------------------------------------------------------------

    @abstractmethod
    def judge(self, output: str, row: Mapping[str, Any]) -> RowOutcome:
        """Whether *output* is right for *row*."""

    @abstractmethod
    def mutation_prompt(self, prompt: str, failures: Sequence[RowOutcome]) -> str:
        """The request for a better prompt than *prompt*, given some of its *failures*."""

    def metrics(self, outcomes: Sequence[RowOutcome]) -> dict[str, Any]:
        """The figures of one evaluation; ``accuracy`` at least."""
        return {"accuracy": sum(o.correct for o in outcomes) / len(outcomes)}

    def score(self, metrics: Mapping[str, Any]) -> float:
        """The number the hill climb maximizes (``accuracy`` by default)."""
        return float(metrics["accuracy"])

    # -- the loop ------------------------------------------------------------------------

    def run_row(self, prompt: str, row: Mapping[str, Any]) -> RowOutcome:
        output = ask(self.client, fill_row(prompt, row), self.generate_kwargs)
        return self.judge(output, row)

    def evaluate(
        self, prompt: str, rows: Sequence[Mapping[str, Any]]
    ) -> tuple[list[RowOutcome], dict[str, Any]]:
        outcomes = [self.run_row(prompt, row) for row in rows]
        return outcomes, self.metrics(outcomes)

    def tune(
        self,
        data: Any,
        initial_prompt: str,
        *,
        max_iterations: int = 20,
        max_examples: int = 5,
        catalog: PromptCatalog | None = None,
        prompt_name: str | None = None,
    ) -> TuneResult:
        """Improve *initial_prompt* on *data* (rows as for ``Benchmark``); see the module doc.

        With *catalog* and *prompt_name*, every evaluated prompt is saved as a
        version under the client's model id, its metrics holding ``score``,
        ``iteration`` and ``kept``; the best one is saved last, so
        ``catalog.get(prompt_name, model)`` is the best prompt.
        """
        from .data import load_rows

        rows = load_rows(data)
        if max_iterations < 1 or max_examples < 1:
            raise ConfigurationError("max_iterations and max_examples must be at least 1")
        if (catalog is None) != (prompt_name is None):
            raise ConfigurationError("give both catalog= and prompt_name= to save the prompts")
        model = model_id(self.client) if catalog is not None else ""
        result = TuneResult(initial_prompt, {})
        best: tuple[str, dict[str, Any], list[RowOutcome], float] | None = None
        prompt = initial_prompt
        for number in range(1, max_iterations + 1):
            outcomes, metrics = self.evaluate(prompt, rows)
            score = self.score(metrics)
            kept = best is None or score >= best[3]
            if kept:
                best = (prompt, metrics, outcomes, score)
            result.iterations.append(Iteration(number, prompt, metrics, score, kept))
            if catalog is not None and prompt_name is not None:
                saved = {**metrics, "score": score, "iteration": number, "kept": kept}
                catalog.save(prompt_name, model, prompt, saved)
            assert best is not None
            failures = [o for o in best[2] if not o.correct]
            if not failures or number == max_iterations:
                break
            sample = self._random.sample(failures, min(len(failures), max_examples))
            reply = ask(self.client, self.mutation_prompt(best[0], sample), self.mutation_kwargs)
            prompt = _new_prompt(reply) or best[0]
        assert best is not None
        result.prompt, result.metrics = best[0], best[1]
        last = result.iterations[-1]
        if catalog is not None and prompt_name is not None and not last.kept:
            best_score = best[3]
            catalog.save(
                prompt_name, model, best[0], {**best[1], "score": best_score, "best": True}
            )
        return result


def _new_prompt(reply: str) -> str:
    """The prompt inside ``<prompt>`` tags (an unclosed tag runs to the end), else the reply."""
    found = _PROMPT_TAG.search(reply)
    return (found.group(1) if found else reply).strip()


def _lines(title: str, items: Sequence[str]) -> list[str]:
    return [title, *(f"- {item}" for item in items), ""] if items else []


class ClassificationTuner(PromptTuner):
    """Yes/no classification: rows have ``content`` and a bool ``label``; the model's
    answer must hold ``[YES]`` or ``[NO]`` (an answer with neither is wrong)."""

    def judge(self, output: str, row: Mapping[str, Any]) -> RowOutcome:
        text = output.lower()
        yes, no = "[yes]" in text, "[no]" in text
        predicted = yes if yes != no else None
        return RowOutcome(row, output, predicted is not None and predicted == _bool(row), predicted)

    def metrics(self, outcomes: Sequence[RowOutcome]) -> dict[str, Any]:
        tp = sum(o.detail is True and _bool(o.row) for o in outcomes)
        predicted = sum(o.detail is True for o in outcomes)
        actual = sum(_bool(o.row) for o in outcomes)
        return {
            **super().metrics(outcomes),
            "precision": tp / predicted if predicted else 0.0,
            "recall": tp / actual if actual else 0.0,
            "unanswered": sum(o.detail is None for o in outcomes),
        }

    def mutation_prompt(self, prompt: str, failures: Sequence[RowOutcome]) -> str:
        missed = [str(o.row["content"]) for o in failures if _bool(o.row)]
        wrong = [str(o.row["content"]) for o in failures if not _bool(o.row)]
        return "\n".join(
            [
                f"Given this task prompt:\n{prompt}\n",
                *_lines("These should be classified [YES] but were not:", missed),
                *_lines("These should be classified [NO] but were not:", wrong),
                ASK_FOR_PROMPT,
            ]
        )


def _bool(row: Mapping[str, Any]) -> bool:
    label = row.get("label")
    if isinstance(label, str):
        return label.strip().lower() in ("true", "yes", "1", "[yes]")
    return bool(label)


class MultiClassTuner(PromptTuner):
    """One of *classes*: rows have ``content`` and a ``label``; the model's answer names the
    class (``[label]`` or the bare word, case-insensitive). Figures: accuracy and macro F1."""

    def __init__(self, client: Any, classes: Sequence[str], **options: Any) -> None:
        super().__init__(client, **options)
        if not classes:
            raise ConfigurationError("MultiClassTuner needs the list of classes")
        self.classes = [str(c) for c in classes]

    def judge(self, output: str, row: Mapping[str, Any]) -> RowOutcome:
        predicted = self._read(output)
        return RowOutcome(row, output, predicted == str(row["label"]), predicted)

    def _read(self, output: str) -> str | None:
        from ..agents.prompts import match_route

        text = output.strip().lower()
        bracketed = [c for c in self.classes if f"[{c.lower()}]" in text]
        if len(bracketed) == 1:
            return bracketed[0]
        return match_route(output, self.classes)

    def metrics(self, outcomes: Sequence[RowOutcome]) -> dict[str, Any]:
        f1s = []
        for cls in self.classes:
            tp = sum(o.detail == cls and o.row["label"] == cls for o in outcomes)
            predicted = sum(o.detail == cls for o in outcomes)
            actual = sum(o.row["label"] == cls for o in outcomes)
            precision = tp / predicted if predicted else 0.0
            recall = tp / actual if actual else 0.0
            f1s.append(2 * precision * recall / (precision + recall) if tp else 0.0)
        return {**super().metrics(outcomes), "macro_f1": sum(f1s) / len(f1s)}

    def mutation_prompt(self, prompt: str, failures: Sequence[RowOutcome]) -> str:
        wrong = [
            f"{o.row['content']!s} -> expected [{o.row['label']}], got "
            f"{'[' + o.detail + ']' if o.detail else 'no class'}"
            for o in failures
        ]
        return "\n".join(
            [
                f"Given this task prompt:\n{prompt}\n",
                f"The classes are: {', '.join(self.classes)}.",
                *_lines("These examples were classified wrongly:", wrong),
                ASK_FOR_PROMPT,
            ]
        )


class ExtractionTuner(PromptTuner):
    """JSON extraction: rows have ``content`` and an ``expected`` dict; a row is right when
    every one of *fields* (all expected keys by default) matches."""

    def __init__(self, client: Any, fields: Sequence[str] | None = None, **options: Any) -> None:
        super().__init__(client, **options)
        self.fields = list(fields) if fields is not None else None
        self._scorer = JSONFieldScorer(self.fields)

    def judge(self, output: str, row: Mapping[str, Any]) -> RowOutcome:
        score = self._scorer.score(output, row)
        return RowOutcome(row, output, score.value == 1.0, parse_json_object(output))

    def metrics(self, outcomes: Sequence[RowOutcome]) -> dict[str, Any]:
        metrics = super().metrics(outcomes)
        for name in self.fields or []:
            right = sum(
                str((o.detail or {}).get(name, "")).strip()
                == str(dict(o.row["expected"]).get(name, "")).strip()
                for o in outcomes
            )
            metrics[f"field_{name}_accuracy"] = right / len(outcomes)
        return metrics

    def mutation_prompt(self, prompt: str, failures: Sequence[RowOutcome]) -> str:
        wrong = [
            f"{o.row['content']!s} -> expected {dict(o.row['expected'])}, got "
            f"{o.detail if o.detail is not None else 'no JSON object'}"
            for o in failures
        ]
        return "\n".join(
            [
                f"Given this task prompt:\n{prompt}\n",
                *_lines("These examples were not extracted correctly:", wrong),
                ASK_FOR_PROMPT,
            ]
        )


class JudgedTuner(PromptTuner):
    """Open-ended output rated by *scorer*; a row is right when it scores at least
    *pass_threshold*. Maximizes the mean score (unscored rows count as 0 there, and
    are counted in ``unscored``)."""

    def __init__(
        self, client: Any, scorer: Scorer, pass_threshold: float = 0.7, **options: Any
    ) -> None:
        super().__init__(client, **options)
        self.scorer = scorer
        self.pass_threshold = pass_threshold

    def judge(self, output: str, row: Mapping[str, Any]) -> RowOutcome:
        score = self.scorer.score(output, row)
        passed = score.value is not None and score.value >= self.pass_threshold
        return RowOutcome(row, output, passed, score)

    def metrics(self, outcomes: Sequence[RowOutcome]) -> dict[str, Any]:
        values = [o.detail.value for o in outcomes]
        return {
            "score": sum(v or 0.0 for v in values) / len(values),
            "pass_rate": sum(o.correct for o in outcomes) / len(outcomes),
            "unscored": sum(v is None for v in values),
        }

    def score(self, metrics: Mapping[str, Any]) -> float:
        return float(metrics["score"])

    def mutation_prompt(self, prompt: str, failures: Sequence[RowOutcome]) -> str:
        parts = [f"Given this task prompt:\n{prompt}\n", "These responses scored too low:\n"]
        for o in failures:
            value = "unrated" if o.detail.value is None else f"{o.detail.value:.2f}/1.0"
            parts += [f"Input: {o.row.get('content', '')}", f"Response: {o.output}"]
            parts += [f"Score: {value}", f"Judge's reason: {o.detail.reason}", ""]
        return "\n".join([*parts, ASK_FOR_PROMPT])
