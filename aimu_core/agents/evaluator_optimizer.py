"""``EvaluatorOptimizer`` and ``AsyncEvaluatorOptimizer``: generate, critique, revise.

:class:`EvaluatorOptimizerCore` holds the generator, the evaluator and the
flow, and :class:`Critique` records each round; the two classes drive the
flow (see :mod:`aimu_core.agents.workflow`). The critique and revision
prompts and the verdict parser are in :mod:`aimu_core.agents.prompts`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigurationError
from ._clients import fork_clients
from .prompts import CRITIQUE_PROMPT, CRITIQUE_SCHEMA_PROMPT, REVISION_PROMPT, fill, parse_verdict
from .runner import check_count, check_name
from .workflow import AsyncWorkflow, Flow, Step, Workflow, WorkflowCore

__all__ = [
    "AsyncEvaluatorOptimizer",
    "Critique",
    "EvaluatorOptimizer",
    "EvaluatorOptimizerCore",
]


@dataclass
class Critique:
    """One round of an :class:`EvaluatorOptimizer`: a draft and what the evaluator made of it.

    ``critique`` is ``None`` when ``stop_when`` accepted the draft unread.
    """

    round: int
    draft: str
    critique: str | None
    passed: bool
    feedback: str
    verdict: Any = None


class EvaluatorOptimizerCore(WorkflowCore):
    """Generate a draft, have it critiqued, revise; until accepted or out of rounds.

    A round is one draft and its critique; at most ``max_rounds`` rounds. A
    draft is accepted by ``stop_when(draft)`` (without a critique), else by the
    evaluator: a ``verdict_schema`` object parsed from JSON in its reply, else
    ``pass_keyword`` as a whole word in its reply. When rounds run out the
    last draft is returned; ``last_rounds`` keeps every round.
    """

    def __init__(
        self,
        generator: Any,
        evaluator: Any,
        *,
        max_rounds: int = 3,
        verdict_schema: Any = None,
        pass_keyword: str | None = "PASS",
        stop_when: Callable[[str], bool] | None = None,
        critique_prompt: str | None = None,
        revision_prompt: str = REVISION_PROMPT,
        name: str = "evaluator_optimizer",
        description: str = "",
    ) -> None:
        self.name = check_name(name)
        self.description = description
        check_count(max_rounds, "max_rounds")
        if verdict_schema is not None:
            _check_verdict_schema(verdict_schema)
        elif not pass_keyword and stop_when is None:
            raise ConfigurationError(
                "EvaluatorOptimizer needs a way to accept a draft: verdict_schema=, pass_keyword= "
                "or stop_when="
            )
        self.generator = self._member(generator, f"{name}.generator", "generator")
        self.evaluator = self._member(evaluator, f"{name}.evaluator", "evaluator")
        self.max_rounds = max_rounds
        self.verdict_schema = verdict_schema
        self.pass_keyword = pass_keyword
        self.stop_when = stop_when
        if critique_prompt is None:
            critique_prompt = (
                CRITIQUE_SCHEMA_PROMPT if verdict_schema is not None else CRITIQUE_PROMPT
            )
        self.critique_prompt = critique_prompt
        self.revision_prompt = revision_prompt
        #: The rounds of the last run, in order.
        self.last_rounds: list[Critique] = []
        self.messages  # noqa: B018

    @classmethod
    def from_client(
        cls,
        client: Any,
        *,
        generator_prompt: str | None = None,
        evaluator_prompt: str | None = None,
        **options: Any,
    ) -> Any:
        """Generator and evaluator on two copies of *client*, with optional system prompts."""
        return cls(*fork_clients(client, [generator_prompt, evaluator_prompt]), **options)

    @property
    def last_passed(self) -> bool:
        """Whether the last run's answer was accepted (``False`` when rounds ran out)."""
        return bool(self.last_rounds) and self.last_rounds[-1].passed

    def _members(self) -> list[Any]:
        return [self.generator, self.evaluator]

    def _critique_question(self, task: str, draft: str) -> str:
        schema = ""
        if self.verdict_schema is not None:
            import json

            schema = json.dumps(self.verdict_schema.model_json_schema())
        return fill(
            self.critique_prompt,
            task=task,
            draft=draft,
            keyword=self.pass_keyword or "PASS",
            schema=schema,
        )

    def _flow(self, task: str, images: list[Any] | None) -> Flow:
        rounds: list[Critique] = []
        self.last_rounds = rounds
        draft = yield Step(self.generator, task, images, 0)
        for round_ in range(self.max_rounds):
            if self.stop_when is not None and self.stop_when(draft):
                rounds.append(Critique(round_, draft, None, True, ""))
                return draft
            critique = yield Step(
                self.evaluator, self._critique_question(task, draft), None, round_
            )
            verdict = parse_verdict(critique, self.verdict_schema, self.pass_keyword)
            rounds.append(
                Critique(round_, draft, critique, verdict.passed, verdict.feedback, verdict.data)
            )
            if verdict.passed or round_ == self.max_rounds - 1:
                return draft
            revision = fill(self.revision_prompt, task=task, draft=draft, feedback=verdict.feedback)
            draft = yield Step(self.generator, revision, images, round_ + 1)
        return draft  # pragma: no cover - the loop always returns


def _check_verdict_schema(schema: Any) -> None:
    import pydantic

    if not (isinstance(schema, type) and issubclass(schema, pydantic.BaseModel)):
        raise ConfigurationError("verdict_schema must be a pydantic BaseModel subclass")
    missing = [f for f in ("passed", "feedback") if f not in schema.model_fields]
    if missing:
        raise ConfigurationError(
            f"verdict_schema {schema.__name__} needs the fields passed: bool and feedback: str "
            f"(missing: {', '.join(missing)})"
        )


class EvaluatorOptimizer(EvaluatorOptimizerCore, Workflow):
    """Generate, critique, revise until the evaluator accepts or ``max_rounds`` run out.

    ``verdict_schema`` (a pydantic model with ``passed: bool`` and
    ``feedback: str``) types the verdict; otherwise ``pass_keyword`` ("PASS")
    in the critique accepts. ``last_rounds`` and ``last_passed`` describe the
    last run. Streamed chunks carry the round as ``iteration``.
    """


class AsyncEvaluatorOptimizer(EvaluatorOptimizerCore, AsyncWorkflow):
    """Async twin of :class:`EvaluatorOptimizer` (``aimu_core.aio.EvaluatorOptimizer``)."""
