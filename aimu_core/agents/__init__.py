"""Runners: agents (the model directs the flow) and workflows (code directs it).

Everything runnable implements :class:`Runner`: ``run(task, generate_kwargs=None,
stream=False, images=None)``, ``messages`` (every conversation inside, by
runner name), ``restore(messages)`` and ``as_tool()``.

* Autonomous: :class:`Agent`, :class:`SkillAgent`, :class:`OrchestratorAgent`.
* Code-controlled: :class:`Chain`, :class:`Router`, :class:`Parallel`,
  :class:`EvaluatorOptimizer`, :class:`PlanExecuteEvaluator`.

A step, handler or worker of a workflow may be any runner or a model client,
so agents and workflows nest. Each runner has one module, named for it, that
holds the sync class, its async twin (``AsyncAgent`` ..., exported by
:mod:`aimu_core.aio` under the same names as here) and the I/O-free core the
two share. Names load on first use, so importing one runner does not import
the others. :func:`get` finds a runner class by its registered name
(``get("chain")``), a plugin's runners included. See ``docs/explanation/runners.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> the module of this package that defines it
_LAZY = {
    "Agent": ".agent",
    "Attempt": ".plan_execute_evaluator",
    "Chain": ".chain",
    "Critique": ".evaluator_optimizer",
    "EvaluatorOptimizer": ".evaluator_optimizer",
    "OrchestratorAgent": ".orchestrator",
    "Parallel": ".parallel",
    "PlanExecuteEvaluator": ".plan_execute_evaluator",
    "Router": ".router",
    "Runner": ".runner",
    "SkillAgent": ".skill_agent",
    "Verdict": ".prompts",
    "available": ".lookup",
    "get": ".lookup",
    "parse_score": ".prompts",
    "parse_verdict": ".prompts",
}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:
    from .agent import Agent
    from .chain import Chain
    from .evaluator_optimizer import Critique, EvaluatorOptimizer
    from .lookup import available, get
    from .orchestrator import OrchestratorAgent
    from .parallel import Parallel
    from .plan_execute_evaluator import Attempt, PlanExecuteEvaluator
    from .prompts import Verdict, parse_score, parse_verdict
    from .router import Router
    from .runner import Runner
    from .skill_agent import SkillAgent


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value  # later lookups find it without coming here
    return value
