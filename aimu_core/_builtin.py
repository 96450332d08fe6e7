"""Core's built-in plugin: core's own runners and tools, registered like anyone else's."""

from __future__ import annotations

from .hookspecs import hookimpl
from .records import MemoryBackend, RunnerRecord, ToolRecord

AIMU_PLUGIN_API = 1


@hookimpl
def aimu_tools() -> list[ToolRecord]:
    return [
        ToolRecord(
            name="time.now",
            tool="aimu_core.tools.builtin:current_time",
            description="The current date and time in a time zone",
        ),
        ToolRecord(
            name="time.convert",
            tool="aimu_core.tools.builtin:convert_time",
            description="A date and time converted to another time zone",
        ),
        ToolRecord(
            name="calculator",
            tool="aimu_core.tools.calculator:calculate",
            description="Arithmetic evaluated exactly and safely (no eval)",
        ),
        ToolRecord(
            name="generate_image",
            tool="aimu_core.images.tool:generate_image_tool",
            description="Generate images from a description (AIMU_IMAGE_MODEL, or model=)",
            factory=True,
        ),
        *(
            ToolRecord(
                name=f"memory.{verb}",
                tool=f"aimu_core.memory.tools:{verb}_tool",
                description=f"{what} (bound to a store: store=...)",
                factory=True,
            )
            for verb, what in (
                ("remember", "Save a fact to long-term memory"),
                ("recall", "Search long-term memory"),
                ("forget", "Delete a fact from long-term memory"),
            )
        ),
        *(
            ToolRecord(
                name=f"files.{verb}",
                tool=f"aimu_core.tools.files:{verb}_tool",
                description=f"{what} in one sandbox folder",
                factory=True,
            )
            for verb, what in (
                ("read", "Read a text file"),
                ("write", "Write a text file atomically"),
                ("list", "List a folder"),
            )
        ),
    ]


@hookimpl
def aimu_memory_backends() -> list[MemoryBackend]:
    return [
        MemoryBackend(
            name="documents",
            backend="aimu_core.memory.documents:DocumentStore",
            description="Documents as files under one folder, keyword search",
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
