"""Core's built-in plugin: core's own runners and tools, registered like anyone else's."""

from __future__ import annotations

from .hookspecs import hookimpl
from .records import RunnerRecord, ToolRecord

AIMU_PLUGIN_API = 1


@hookimpl
def aimu_tools() -> list[ToolRecord]:
    return [
        ToolRecord(
            name="current_time",
            tool="aimu_core.tools.builtin:current_time",
            description="The current date and time in a time zone",
        )
    ]


# name -> (class name in aimu_core.agents and aimu_core.aio, description)
_RUNNERS = {
    "agent": ("Agent", "A model with tools, looping until it stops calling tools"),
    "skill-agent": ("SkillAgent", "An agent that activates SKILL.md skills on demand"),
    "orchestrator": ("OrchestratorAgent", "An agent delegating to worker runners offered as tools"),
    "chain": ("Chain", "Steps in order, each output the next input"),
    "router": ("Router", "Classify a task, then dispatch it to a matching handler"),
    "parallel": ("Parallel", "The same task to several workers at once, results joined"),
    "evaluator-optimizer": ("EvaluatorOptimizer", "Generate, critique and revise until accepted"),
    "plan-execute-evaluator": (
        "PlanExecuteEvaluator",
        "Plan, execute, score against criteria and re-plan; the best attempt wins",
    ),
}


@hookimpl
def aimu_runners() -> list[RunnerRecord]:
    return [
        RunnerRecord(
            name=name,
            runner=f"aimu_core.agents:{cls}",
            async_runner=f"aimu_core.aio:{cls}",
            description=description,
        )
        for name, (cls, description) in _RUNNERS.items()
    ]
