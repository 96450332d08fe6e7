"""``PlanExecuteEvaluator`` and ``AsyncPlanExecuteEvaluator``: plan, execute, score, re-plan.

:class:`PlanExecuteEvaluatorCore` holds the planner, the executor, the
evaluator and the flow, and :class:`Attempt` records each round; the two
classes drive the flow (see :mod:`aimu_core.agents.workflow`). The prompts
and the plan and score parsers are in :mod:`aimu_core.agents.prompts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigurationError
from ._clients import fork_clients
from .prompts import (
    DEFAULT_CRITERIA,
    EVALUATE_PROMPT,
    EXECUTE_PROMPT,
    PLAN_PROMPT,
    PLAN_WITH_CRITERIA_PROMPT,
    REPLAN_PROMPT,
    fill,
    has_keyword,
    parse_plan,
    parse_score,
)
from .runner import check_count, check_name
from .workflow import AsyncWorkflow, Flow, Step, Workflow, WorkflowCore

__all__ = [
    "AsyncPlanExecuteEvaluator",
    "Attempt",
    "PlanExecuteEvaluator",
    "PlanExecuteEvaluatorCore",
]


@dataclass
class Attempt:
    """One round of a :class:`PlanExecuteEvaluator`: plan, result, evaluation and score (0-1)."""

    round: int
    plan: str
    output: str
    evaluation: str
    score: float | None
    passed: bool


class PlanExecuteEvaluatorCore(WorkflowCore):
    """Plan, execute the plan, score the result against criteria; re-plan with the feedback.

    A round passes when the evaluator's score (0-10 or 0-1, read by
    ``parse_score``) reaches ``pass_threshold`` (0-1), or ``pass_keyword``
    appears in its reply. Out of rounds, the best-scored attempt (the later
    one on a tie) is returned; ``last_attempts`` keeps every attempt. Without
    ``criteria``, the planner is asked for ``## Plan`` and ``## Evaluation
    criteria`` sections and its first criteria are used.
    """

    def __init__(
        self,
        planner: Any,
        executor: Any,
        evaluator: Any,
        *,
        criteria: str | Sequence[str] | None = None,
        max_rounds: int = 3,
        pass_threshold: float = 0.7,
        pass_keyword: str | None = None,
        name: str = "plan_execute_evaluator",
        description: str = "",
    ) -> None:
        self.name = check_name(name)
        self.description = description
        check_count(max_rounds, "max_rounds")
        if (
            isinstance(pass_threshold, bool)
            or not isinstance(pass_threshold, (int, float))
            or not (0 <= pass_threshold <= 1)
        ):
            raise ConfigurationError(
                f"pass_threshold is a score between 0 and 1, got {pass_threshold!r}"
            )
        if criteria is not None and not isinstance(criteria, str):
            criteria = "\n".join(f"- {c}" for c in criteria)
        self.criteria = criteria or None
        self.planner = self._member(planner, f"{name}.planner", "planner")
        self.executor = self._member(executor, f"{name}.executor", "executor")
        self.evaluator = self._member(evaluator, f"{name}.evaluator", "evaluator")
        self.max_rounds = max_rounds
        self.pass_threshold = float(pass_threshold)
        self.pass_keyword = pass_keyword
        #: Every attempt of the last run, in order.
        self.last_attempts: list[Attempt] = []
        #: The criteria the last run was judged against.
        self.last_criteria: str | None = None
        self.messages  # noqa: B018

    @classmethod
    def from_client(
        cls,
        client: Any,
        *,
        planner_prompt: str | None = None,
        executor_prompt: str | None = None,
        evaluator_prompt: str | None = None,
        **options: Any,
    ) -> Any:
        """Planner, executor and evaluator on three copies of *client*."""
        prompts = [planner_prompt, executor_prompt, evaluator_prompt]
        return cls(*fork_clients(client, prompts), **options)

    @property
    def best_attempt(self) -> Attempt | None:
        if not self.last_attempts:
            return None
        return max(
            self.last_attempts, key=lambda a: (-1.0 if a.score is None else a.score, a.round)
        )

    def _members(self) -> list[Any]:
        return [self.planner, self.executor, self.evaluator]

    def _flow(self, task: str, images: list[Any] | None) -> Flow:
        attempts: list[Attempt] = []
        self.last_attempts = attempts
        criteria = self.criteria
        self.last_criteria = criteria
        for round_ in range(self.max_rounds):
            if round_ == 0:
                template = PLAN_PROMPT if criteria is None else PLAN_WITH_CRITERIA_PROMPT
                question = fill(template, task=task, criteria=criteria or "")
            else:
                last = attempts[-1]
                shown = "unreadable" if last.score is None else f"{last.score * 10:g}/10"
                question = fill(
                    REPLAN_PROMPT,
                    task=task,
                    criteria=criteria or DEFAULT_CRITERIA,
                    plan=last.plan,
                    output=last.output,
                    evaluation=last.evaluation,
                    score=shown,
                )
            reply = yield Step(self.planner, question, images, round_)
            plan, planned_criteria = parse_plan(reply)
            if criteria is None and planned_criteria:
                criteria = planned_criteria
                self.last_criteria = criteria
            output = yield Step(
                self.executor, fill(EXECUTE_PROMPT, task=task, plan=plan), images, round_
            )
            evaluation = yield Step(
                self.evaluator,
                fill(
                    EVALUATE_PROMPT,
                    task=task,
                    criteria=criteria or DEFAULT_CRITERIA,
                    output=output,
                ),
                None,
                round_,
            )
            score = parse_score(evaluation)
            passed = (score is not None and score >= self.pass_threshold) or has_keyword(
                evaluation, self.pass_keyword
            )
            attempts.append(Attempt(round_, plan, output, evaluation, score, passed))
            if passed:
                return output
        best = self.best_attempt
        assert best is not None
        return best.output


class PlanExecuteEvaluator(PlanExecuteEvaluatorCore, Workflow):
    """Plan, execute, score against criteria, re-plan; returns the best attempt.

    Scores are read from the evaluator's reply (``7/10``, ``Score: 0.7`` ...)
    and passed when ``>= pass_threshold`` (0-1). ``last_attempts`` keeps every
    attempt. Streamed chunks carry the round as ``iteration``.
    """


class AsyncPlanExecuteEvaluator(PlanExecuteEvaluatorCore, AsyncWorkflow):
    """Async twin of :class:`PlanExecuteEvaluator` (``aimu_core.aio.PlanExecuteEvaluator``)."""
