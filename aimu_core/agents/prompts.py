"""The runners' default prompts, the parsers that read the answers back, and :func:`fill`.

Shared by the sync and async runners. Templates use ``{name}`` placeholders
filled by :func:`fill` (other braces are left alone, so a template may contain
JSON). Every parser is forgiving about format and strict about meaning: a
reply it cannot read gives ``None``/a failed verdict, never an exception, so a
workflow goes on with what it has.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AGGREGATE_PROMPT",
    "CLASSIFY_PROMPT",
    "CRITIQUE_PROMPT",
    "CRITIQUE_SCHEMA_PROMPT",
    "DEFAULT_CRITERIA",
    "EVALUATE_PROMPT",
    "EXECUTE_PROMPT",
    "PLAN_PROMPT",
    "PLAN_WITH_CRITERIA_PROMPT",
    "REPLAN_PROMPT",
    "REVISION_PROMPT",
    "Verdict",
    "fill",
    "has_keyword",
    "match_route",
    "normalize_route",
    "orchestrator_prompt",
    "parse_plan",
    "parse_score",
    "parse_verdict",
    "route_list",
]


def fill(template: str, **values: str) -> str:
    """``{name}`` placeholders replaced by *values*; other braces (JSON, code) are left alone."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


# -- Router ---------------------------------------------------------------------------

CLASSIFY_PROMPT = """Classify the request below into exactly one of these categories:
{routes}

Answer with the category name only, nothing else.

Request:
{task}"""


def route_list(routes: Mapping[str, str]) -> str:
    """``- key: description`` lines (just ``- key`` where there is no description)."""
    return "\n".join(f"- {key}: {desc}" if desc else f"- {key}" for key, desc in routes.items())


def normalize_route(text: str) -> str:
    """Trim and lower-case; drop wrapping quotes/backticks/asterisks and a trailing period."""
    text, previous = text.strip().lower(), None
    while text != previous:
        previous = text
        text = text.strip("`*\"' \t\n").rstrip(".").strip()
    return text


def match_route(answer: str, keys: Iterable[str]) -> str | None:
    """The handler key the classifier's *answer* names exactly (after normalizing), or ``None``."""
    wanted = normalize_route(answer)
    for key in keys:
        if normalize_route(key) == wanted:
            return key
    return None


# -- Parallel -------------------------------------------------------------------------

AGGREGATE_PROMPT = """Several workers answered the same task independently.

Task:
{task}

Their answers:
{results}

Combine them into one final answer to the task."""


# -- EvaluatorOptimizer ------------------------------------------------------------------

CRITIQUE_PROMPT = """Evaluate the response below to the task.

Task:
{task}

Response:
{draft}

If the response fully accomplishes the task, reply with the single word {keyword}.
Otherwise give specific, actionable feedback on what to improve (and do not write {keyword})."""

CRITIQUE_SCHEMA_PROMPT = """Evaluate the response below to the task.

Task:
{task}

Response:
{draft}

Reply with only a JSON object matching this JSON schema:
{schema}
Set "passed" to true only if the response fully accomplishes the task; put specific,
actionable feedback on what to improve in "feedback"."""

REVISION_PROMPT = """Task:
{task}

Your previous response:
{draft}

Feedback on it:
{feedback}

Write an improved response to the task that addresses the feedback. Reply with the response only."""


@dataclass(frozen=True)
class Verdict:
    """An evaluator's judgement of one draft; ``data`` is the parsed ``verdict_schema`` object."""

    passed: bool
    feedback: str
    data: Any = None


def _json_object(text: str) -> dict[str, Any] | None:
    """The JSON object in *text*: the whole reply, a fenced block, or the outermost ``{...}``."""
    candidates = [text.strip()]
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, re.DOTALL)
    if fenced:
        candidates.append(fenced.group(1).strip())
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def has_keyword(text: str, keyword: str | None) -> bool:
    """*keyword* as a whole, case-sensitive word (``PASS``; not ``PASSED`` or ``pass``)."""
    if not keyword:
        return False
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(keyword)}(?![A-Za-z0-9_])", text) is not None


def parse_verdict(text: str, schema: Any = None, keyword: str | None = "PASS") -> Verdict:
    """Read an evaluator's reply.

    With a pydantic *schema* (fields ``passed: bool`` and ``feedback: str``),
    the JSON object in the reply is validated against it. A reply with no valid
    object, or no schema, falls back to the *keyword* rule: passed when the
    keyword appears as a whole word; the feedback is the reply.
    """
    if schema is not None:
        data = _json_object(text)
        if data is not None:
            import pydantic

            try:
                parsed = schema.model_validate(data)
            except pydantic.ValidationError:
                parsed = None
            if parsed is not None:
                return Verdict(bool(parsed.passed), str(parsed.feedback), parsed)
    return Verdict(has_keyword(text, keyword), text.strip())


# -- PlanExecuteEvaluator ------------------------------------------------------------------

DEFAULT_CRITERIA = "The response fully and correctly accomplishes the task."

PLAN_PROMPT = """Write a plan for the task below. Reply in two sections:

## Plan
(numbered, concrete steps)

## Evaluation criteria
(a bulleted list of checks a finished result must pass)

Task:
{task}"""

PLAN_WITH_CRITERIA_PROMPT = """Write a plan for the task below as numbered, concrete steps.
The result will be judged against these criteria:
{criteria}

Task:
{task}"""

REPLAN_PROMPT = """Your previous plan for the task below did not produce a good enough result.

Task:
{task}

Evaluation criteria:
{criteria}

Previous plan:
{plan}

Result it produced:
{output}

Evaluation of that result (score {score}):
{evaluation}

Write a better plan as numbered, concrete steps that fixes these problems."""

EXECUTE_PROMPT = """Carry out this plan to accomplish the task. Reply with the finished result only.

Task:
{task}

Plan:
{plan}"""

EVALUATE_PROMPT = """Score the result below against the criteria, from 0 (useless) to 10
(meets every criterion). Write "Score: N/10" on the first line, then specific feedback
on what to improve.

Task:
{task}

Criteria:
{criteria}

Result:
{output}"""

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*(.+?)\s*#*\s*$", re.MULTILINE)


def parse_plan(text: str) -> tuple[str, str | None]:
    """``(plan, criteria)`` from a planner's reply with ``## Plan`` / ``## Evaluation criteria``
    sections; without a ``Plan`` heading the plan is everything before the criteria."""
    plan: str | None = None
    criteria: str | None = None
    criteria_start: int | None = None
    headings = list(_HEADING.finditer(text))
    for i, heading in enumerate(headings):
        end = headings[i + 1].start() if i + 1 < len(headings) else len(text)
        title = heading.group(1).strip().lower().rstrip(":")
        body = text[heading.end() : end].strip()
        if title == "plan" and plan is None:
            plan = body
        elif "criteria" in title and criteria is None and body:
            criteria, criteria_start = body, heading.start()
    if not plan:
        plan = text[:criteria_start].strip() if criteria_start else text.strip()
    return plan or text.strip(), criteria


_RATIO = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)\s*(?:/|\bout\s+of\b)\s*(\d+(?:\.\d+)?)(?!\.?\d)", re.IGNORECASE
)
_LABELLED = re.compile(r"\bscore\b\s*(?:is|of|:|=)?\s*(\d+(?:\.\d+)?)\s*(%)?", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(%)?")


def _scale(number: str, percent: bool) -> float | None:
    """A bare number on its scale: ``70%``; ``0.7`` or ``1.0`` (a decimal up to 1) on 0-1;
    any other number up to 10 on 0-10 (so ``1`` is 0.1, like ``2`` is 0.2). Larger: no score."""
    value = float(number)
    if percent:
        return min(value / 100, 1.0)
    if "." in number and value <= 1:
        return value
    return value / 10 if value <= 10 else None


def parse_score(text: str) -> float | None:
    """An evaluator's score as a number in ``[0, 1]``, or ``None`` if the reply holds none.

    Read in order of reliability: a ratio (``7/10``, ``7 out of 10``,
    ``0.7/1``, ``70/100``: any scale), a labelled number (``Score: 7``), then
    the first number in the reply. Bare numbers are read as :func:`_scale`
    says, the same way whatever their value.
    """
    for ratio in _RATIO.finditer(text):
        value, scale = float(ratio.group(1)), float(ratio.group(2))
        if 0 < scale and value <= scale:
            return value / scale
    labelled = _LABELLED.search(text)
    if labelled:
        score = _scale(labelled.group(1), bool(labelled.group(2)))
        if score is not None:
            return score
    for number in _NUMBER.finditer(text):
        score = _scale(number.group(1), bool(number.group(2)))
        if score is not None:
            return score
    return None


# -- OrchestratorAgent ---------------------------------------------------------------------


def orchestrator_prompt(workers: Mapping[str, str]) -> str:
    """The default system prompt of an orchestrator: delegate through the worker tools."""
    roster = "\n".join(f"- {name}: {desc}" for name, desc in workers.items())
    return (
        "You coordinate a team of workers. Break the task into sub-tasks and delegate each "
        "one to the best-suited worker by calling its tool with a complete, self-contained "
        "task (the worker sees nothing else). Then combine their answers into the final "
        f"answer.\n\nWorkers:\n{roster}"
    )
