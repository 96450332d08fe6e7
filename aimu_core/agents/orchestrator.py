"""``OrchestratorAgent`` and ``AsyncOrchestratorAgent``: an agent that delegates to workers.

:class:`OrchestratorCore` offers each worker runner to the model as a tool
(through ``as_tool()``) and, unless you give one, writes a system prompt
listing them; the two classes add the agent's I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Unpack

from ..errors import ConfigurationError
from ..tools.decorator import tool_spec
from ._clients import check_client
from .agent import Agent, AgentCore, AgentOptions, AsyncAgent
from .prompts import orchestrator_prompt
from .runner import check_name

__all__ = ["AsyncOrchestratorAgent", "OrchestratorAgent", "OrchestratorCore"]


class OrchestratorCore(AgentCore):
    """An agent whose tools include a fixed roster of worker runners (via ``as_tool()``)."""

    def __init__(
        self,
        client: Any,
        workers: Sequence[Any],
        system_message: str | None = None,
        *,
        name: str = "orchestrator",
        tools: Iterable[Callable[..., Any]] | None = None,
        **options: Unpack[AgentOptions],
    ) -> None:
        check_client(client, self._asynchronous, type(self).__name__)
        self.name = check_name(name)
        workers = list(workers)
        if not workers:
            raise ConfigurationError(f"OrchestratorAgent {name!r} needs at least one worker")
        self.workers = [
            self._member(w, f"{name}.worker{i}", "worker") for i, w in enumerate(workers)
        ]
        worker_tools = [w.as_tool() for w in self.workers]
        extra = list(tools) if tools is not None else list(client.tools)
        names = [tool_spec(fn)["function"]["name"] for fn in [*extra, *worker_tools]]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ConfigurationError(
                f"OrchestratorAgent {name!r} has several tools named {duplicates}; give the "
                "workers (and tools) distinct names"
            )
        if system_message is None and client.system_message is None:
            system_message = orchestrator_prompt(
                {
                    tool_spec(t)["function"]["name"]: tool_spec(t)["function"]["description"]
                    for t in worker_tools
                }
            )
        super().__init__(
            client, system_message, name=name, tools=[*extra, *worker_tools], **options
        )
        self.messages  # noqa: B018 - fail now on a name collision, not at save time

    def _members(self) -> list[Any]:
        return list(self.workers)


class OrchestratorAgent(OrchestratorCore, Agent):
    """An agent that delegates to a fixed roster of workers, each offered as a tool.

    Args:
        client: the orchestrator's model client.
        workers: runners (or clients, wrapped as agents) exposed through
            ``as_tool()``; a tool is named after its worker.
        system_message: defaults to a prompt listing the workers.

    Other arguments as for :class:`Agent`; ``messages`` holds the
    orchestrator's conversation and every worker's.
    """


class AsyncOrchestratorAgent(OrchestratorCore, AsyncAgent):
    """Async twin of :class:`OrchestratorAgent` (``aimu_core.aio.OrchestratorAgent``).

    Its workers are async runners.
    """
