"""Runners: agents (the model directs the flow) and workflows (code directs it).

Everything runnable implements :class:`Runner`: ``run(task, generate_kwargs=None,
stream=False, images=None)``, ``messages`` (every conversation inside, by
runner name), ``restore(messages)`` and ``as_tool()``.

* Autonomous: :class:`Agent`, :class:`SkillAgent`, :class:`OrchestratorAgent`.
* Code-controlled: :class:`Chain`, :class:`Router`, :class:`Parallel`,
  :class:`EvaluatorOptimizer`, :class:`PlanExecuteEvaluator`.

A step, handler or worker of a workflow may be any runner or a model client,
so agents and workflows nest. The async twins, with the same names, are in
:mod:`aimu_core.aio`. See ``docs/explanation/runners.md``.
"""

from ._prompts import Verdict, parse_score, parse_verdict
from ._workflow_cores import Attempt, Critique
from .agent import Agent, OrchestratorAgent, SkillAgent
from .base import Runner
from .workflows import Chain, EvaluatorOptimizer, Parallel, PlanExecuteEvaluator, Router

__all__ = [
    "Agent",
    "Attempt",
    "Chain",
    "Critique",
    "EvaluatorOptimizer",
    "OrchestratorAgent",
    "Parallel",
    "PlanExecuteEvaluator",
    "Router",
    "Runner",
    "SkillAgent",
    "Verdict",
    "parse_score",
    "parse_verdict",
]
