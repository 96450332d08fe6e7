"""The state and control flow of the code-controlled runners, shared by both surfaces.

Each workflow's control flow is written once, as a *flow*: a generator that
yields a :class:`~._shared.Step` ("run this member on this task") and
receives the member's output text. The sync workflows
(:mod:`aimu_core.agents.workflows`) drive flows with ``runner.run(...)``, the
async ones (:mod:`aimu_core.aio.workflows`) with ``await runner.run(...)``;
neither repeats the decisions (what to ask next, when to stop, what to return).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigurationError, RoutingError
from . import _prompts as templates
from ._cores import Flow, RunnerCore
from ._shared import Step, check_name, fill, fork_client

__all__ = [
    "Attempt",
    "ChainCore",
    "Critique",
    "EvaluatorOptimizerCore",
    "ParallelCore",
    "PlanExecuteEvaluatorCore",
    "RouterCore",
    "WorkflowCore",
]


class WorkflowCore(RunnerCore):
    """A runner whose code directs the flow, written once as :meth:`_flow` for both surfaces."""

    def _flow(self, task: str, images: list[Any] | None) -> Flow:
        raise NotImplementedError

    def __repr__(self) -> str:
        members = ", ".join(getattr(m, "name", "?") for m in self._members())
        return f"{type(self).__name__}(name={self.name!r}, members=[{members}])"


def _forks(client: Any, system_prompts: Iterable[str | None]) -> list[Any]:
    return [fork_client(client, prompt) for prompt in system_prompts]


class ChainCore(WorkflowCore):
    """Steps in order; each step's output is the next step's task. Images go to the first step."""

    def __init__(self, steps: Sequence[Any], *, name: str = "chain", description: str = "") -> None:
        self.name = check_name(name)
        self.description = description
        steps = list(steps)
        if not steps:
            raise ConfigurationError(f"Chain {name!r} needs at least one step")
        self.steps = [self._member(s, f"{name}.step{i}", "step") for i, s in enumerate(steps)]
        self.messages  # noqa: B018 - validate names now

    @classmethod
    def from_client(
        cls,
        client: Any,
        prompts: Sequence[str | None],
        *,
        name: str = "chain",
        description: str = "",
    ) -> Any:
        """A chain of one step per system prompt, each on its own copy of *client*."""
        if isinstance(prompts, str) or not list(prompts):
            raise ConfigurationError("Chain.from_client needs a non-empty list of prompts")
        return cls(_forks(client, prompts), name=name, description=description)

    def _members(self) -> list[Any]:
        return list(self.steps)

    def _flow(self, task: str, images: list[Any] | None) -> Flow:
        text = task
        for i, step in enumerate(self.steps):
            text = yield Step(step, text, images if i == 0 else None, i)
        return text


class RouterCore(WorkflowCore):
    """Classify the task with one runner, then hand it to the handler the answer names.

    The classifier's reply is trimmed and lower-cased (wrapping quotes and a
    final period dropped) and must equal a handler key. No match: the
    ``fallback`` handles it, or :class:`~aimu_core.errors.RoutingError`.
    Images go to the handler, not the classifier.
    """

    def __init__(
        self,
        classifier: Any,
        handlers: Mapping[str, Any],
        *,
        fallback: Any = None,
        prompt: str | None = templates.CLASSIFY_PROMPT,
        name: str = "router",
        description: str = "",
    ) -> None:
        self.name = check_name(name)
        self.description = description
        if not isinstance(handlers, Mapping) or not handlers:
            raise ConfigurationError(f"Router {name!r} needs a non-empty dict of handlers")
        normalized: dict[str, str] = {}
        for key in handlers:
            if not isinstance(key, str) or not templates.normalize_route(key):
                raise ConfigurationError(
                    f"Router {name!r}: handler keys must be non-empty strings, got {key!r}"
                )
            norm = templates.normalize_route(key)
            if norm in normalized:
                raise ConfigurationError(
                    f"Router {name!r}: handler keys {normalized[norm]!r} and {key!r} are the same "
                    "once lower-cased"
                )
            normalized[norm] = key
        self.classifier = self._member(classifier, f"{name}.classifier", "classifier")
        self.handlers = {
            key: self._member(h, f"{name}.{templates.normalize_route(key)}", f"handler {key!r}")
            for key, h in handlers.items()
        }
        self.fallback = (
            None if fallback is None else self._member(fallback, f"{name}.fallback", "fallback")
        )
        self.prompt = prompt
        #: The handler key of the last run (``None``: the fallback handled it).
        self.last_route: str | None = None
        self.messages  # noqa: B018

    @classmethod
    def from_client(
        cls,
        client: Any,
        routes: Mapping[str, str | None],
        *,
        fallback: str | None = None,
        classifier_prompt: str | None = None,
        name: str = "router",
        description: str = "",
    ) -> Any:
        """A router whose classifier and handlers are copies of *client*.

        *routes* maps each key to its handler's system prompt; *fallback* is
        the fallback handler's system prompt (no fallback when ``None``).
        """
        if not isinstance(routes, Mapping) or not routes:
            raise ConfigurationError("Router.from_client needs a non-empty dict of routes")
        return cls(
            fork_client(client, classifier_prompt),
            {key: fork_client(client, prompt) for key, prompt in routes.items()},
            fallback=None if fallback is None else fork_client(client, fallback),
            name=name,
            description=description,
        )

    def _members(self) -> list[Any]:
        members = [self.classifier, *self.handlers.values()]
        return members + ([self.fallback] if self.fallback is not None else [])

    def _question(self, task: str) -> str:
        if self.prompt is None:
            return task
        routes = {key: getattr(h, "description", "") for key, h in self.handlers.items()}
        return fill(self.prompt, task=task, routes=templates.route_list(routes))

    def _flow(self, task: str, images: list[Any] | None) -> Flow:
        answer = yield Step(self.classifier, self._question(task), None, 0)
        route = templates.match_route(answer, self.handlers)
        self.last_route = route
        if route is not None:
            handler = self.handlers[route]
        elif self.fallback is not None:
            handler = self.fallback
        else:
            raise RoutingError(
                f"Router {self.name!r}: the classifier answered {answer.strip()[:200]!r}, which "
                f"names none of the routes {sorted(self.handlers)}; add a fallback= handler or "
                "make the classifier answer with a route name"
            )
        return (yield Step(handler, task, images, 1))


class ParallelCore(WorkflowCore):
    """The same task to every worker at once; results in submission order.

    Each worker must have its own conversation (checked at construction): no
    ``messages`` list is ever touched by two workers at the same time.
    """

    def __init__(
        self,
        workers: Sequence[Any],
        *,
        aggregator: Any = None,
        separator: str = "\n\n",
        aggregate_prompt: str = templates.AGGREGATE_PROMPT,
        max_workers: int | None = None,
        name: str = "parallel",
        description: str = "",
    ) -> None:
        self.name = check_name(name)
        self.description = description
        workers = list(workers)
        if not workers:
            raise ConfigurationError(f"Parallel {name!r} needs at least one worker")
        if max_workers is not None and (not isinstance(max_workers, int) or max_workers < 1):
            raise ConfigurationError(f"max_workers must be a positive integer, got {max_workers!r}")
        self.workers = [
            self._member(w, f"{name}.worker{i}", "worker") for i, w in enumerate(workers)
        ]
        self.aggregator = (
            None
            if aggregator is None
            else self._member(aggregator, f"{name}.aggregator", "aggregator")
        )
        self.separator = separator
        self.aggregate_prompt = aggregate_prompt
        self.max_workers = max_workers
        self._check_isolated()
        self.messages  # noqa: B018

    @classmethod
    def from_client(
        cls,
        client: Any,
        prompts: Sequence[str | None],
        *,
        aggregator: str | None = None,
        separator: str = "\n\n",
        max_workers: int | None = None,
        name: str = "parallel",
        description: str = "",
    ) -> Any:
        """One worker per system prompt, each on its own copy of *client* (never shared).

        *aggregator*, when given, is the system prompt of an aggregating step
        (on another copy) that combines the workers' answers.
        """
        if isinstance(prompts, str) or not list(prompts):
            raise ConfigurationError("Parallel.from_client needs a non-empty list of prompts")
        return cls(
            _forks(client, prompts),
            aggregator=None if aggregator is None else fork_client(client, aggregator),
            separator=separator,
            max_workers=max_workers,
            name=name,
            description=description,
        )

    def _check_isolated(self) -> None:
        owners: dict[int, int] = {}
        for i, worker in enumerate(self.workers):
            for key, conversation in worker.messages.items():
                owner = owners.setdefault(id(conversation), i)
                if owner != i:
                    raise ConfigurationError(
                        f"Parallel {self.name!r}: workers {owner} and {i} share the conversation "
                        f"{key!r} and would write it from two threads at once; give each worker "
                        "its own client (Parallel.from_client does)"
                    )

    def _members(self) -> list[Any]:
        return self.workers + ([self.aggregator] if self.aggregator is not None else [])

    def _pool_size(self) -> int:
        return self.max_workers or len(self.workers)

    def _finish(self, task: str, results: list[str]) -> Flow:
        """After the fan-out: join the results, or hand them to the aggregator."""
        joined = self.separator.join(results)
        if self.aggregator is None:
            return joined
        prompt = fill(self.aggregate_prompt, task=task, results=joined)
        return (yield Step(self.aggregator, prompt, None, len(self.workers)))

    def _failure(self, errors: list[Exception]) -> ExceptionGroup:
        return ExceptionGroup(
            f"{len(errors)} of {len(self.workers)} workers of Parallel {self.name!r} failed", errors
        )


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
        revision_prompt: str = templates.REVISION_PROMPT,
        name: str = "evaluator_optimizer",
        description: str = "",
    ) -> None:
        self.name = check_name(name)
        self.description = description
        if isinstance(max_rounds, bool) or not isinstance(max_rounds, int) or max_rounds < 1:
            raise ConfigurationError(f"max_rounds must be an integer >= 1, got {max_rounds!r}")
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
                templates.CRITIQUE_SCHEMA_PROMPT
                if verdict_schema is not None
                else templates.CRITIQUE_PROMPT
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
        return cls(
            fork_client(client, generator_prompt), fork_client(client, evaluator_prompt), **options
        )

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
            verdict = templates.parse_verdict(critique, self.verdict_schema, self.pass_keyword)
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
        if isinstance(max_rounds, bool) or not isinstance(max_rounds, int) or max_rounds < 1:
            raise ConfigurationError(f"max_rounds must be an integer >= 1, got {max_rounds!r}")
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
        return cls(
            fork_client(client, planner_prompt),
            fork_client(client, executor_prompt),
            fork_client(client, evaluator_prompt),
            **options,
        )

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
                template = (
                    templates.PLAN_PROMPT
                    if criteria is None
                    else templates.PLAN_WITH_CRITERIA_PROMPT
                )
                question = fill(template, task=task, criteria=criteria or "")
            else:
                last = attempts[-1]
                shown = "unreadable" if last.score is None else f"{last.score * 10:g}/10"
                question = fill(
                    templates.REPLAN_PROMPT,
                    task=task,
                    criteria=criteria or templates.DEFAULT_CRITERIA,
                    plan=last.plan,
                    output=last.output,
                    evaluation=last.evaluation,
                    score=shown,
                )
            reply = yield Step(self.planner, question, images, round_)
            plan, planned_criteria = templates.parse_plan(reply)
            if criteria is None and planned_criteria:
                criteria = planned_criteria
                self.last_criteria = criteria
            output = yield Step(
                self.executor, fill(templates.EXECUTE_PROMPT, task=task, plan=plan), images, round_
            )
            evaluation = yield Step(
                self.evaluator,
                fill(
                    templates.EVALUATE_PROMPT,
                    task=task,
                    criteria=criteria or templates.DEFAULT_CRITERIA,
                    output=output,
                ),
                None,
                round_,
            )
            score = templates.parse_score(evaluation)
            passed = (score is not None and score >= self.pass_threshold) or templates.has_keyword(
                evaluation, self.pass_keyword
            )
            attempts.append(Attempt(round_, plan, output, evaluation, score, passed))
            if passed:
                return output
        best = self.best_attempt
        assert best is not None
        return best.output
