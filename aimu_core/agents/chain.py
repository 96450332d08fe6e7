"""``Chain`` and ``AsyncChain``: steps in order, each step's output the next step's task.

:class:`ChainCore` holds the steps and the flow; the two classes drive it
(see :mod:`aimu_core.agents.workflow`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import ConfigurationError
from ._clients import fork_clients
from .runner import check_name
from .workflow import AsyncWorkflow, Flow, Step, Workflow, WorkflowCore

__all__ = ["AsyncChain", "Chain", "ChainCore"]


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
        return cls(fork_clients(client, prompts), name=name, description=description)

    def _members(self) -> list[Any]:
        return list(self.steps)

    def _flow(self, task: str, images: list[Any] | None) -> Flow:
        text = task
        for i, step in enumerate(self.steps):
            text = yield Step(step, text, images if i == 0 else None, i)
        return text


class Chain(ChainCore, Workflow):
    """Steps run in order, each step's output the next step's task.

    ``Chain([step, ...])`` with runners or clients, or
    ``Chain.from_client(client, [system_prompt, ...])``. Images go to the first
    step only. Streamed chunks carry the step index as ``iteration``.
    """


class AsyncChain(ChainCore, AsyncWorkflow):
    """Async twin of :class:`Chain` (``aimu_core.aio.Chain``)."""
