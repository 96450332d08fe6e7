"""Autonomous runners: the model directs the flow through tool calls.

``Agent`` does not run a loop of its own: the client's ``chat(use_tools=True)``
is *the* tool loop (bounded by ``max_tool_rounds``, a final round without
tools). The agent configures it, runs it and tags what it streams.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..models.images import ImageInput
from ..models.stream import StreamChunk
from ._cores import AgentCore, OrchestratorCore, SkillAgentCore
from ._shared import RoundCounter
from .base import Runner, _close

__all__ = ["Agent", "OrchestratorAgent", "SkillAgent"]


class Agent(AgentCore, Runner):
    """A model client with a system message and tools, looping until the model stops calling tools.

    Args:
        client: the model client (``aimu_core.client(...)``); the agent drives it.
        system_message: sets the client's system message (kept when ``None``).
        name: names the agent's chunks and its conversation in ``messages``.
        tools: ``@tool`` functions (the client's own when ``None``).
        max_iterations: rounds of tool calls per run (the client's
            ``max_tool_rounds``, 10 by default); at the limit one final call is
            made with tools disabled, so a run always ends with an answer.
        reset_messages_on_run: start every run from an empty conversation
            (the default keeps the conversation going, like a chat).
        description: what the agent does; shown to a model by :meth:`as_tool`.

    A tool that raises or gets bad arguments becomes a tool message the model
    reads (and can act on); the run goes on. A failing model call raises and
    leaves ``messages`` as it was before the run.
    """

    def run(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
        images: Iterable[ImageInput] | None = None,
    ) -> str | Iterator[StreamChunk]:
        self._start_run()
        result = self.client.chat(
            task, generate_kwargs=generate_kwargs, use_tools=True, stream=stream, images=images
        )
        if not stream:
            return result
        return self._tagged(result)

    def _tagged(self, chunks: Iterator[StreamChunk]) -> Iterator[StreamChunk]:
        counter = RoundCounter(self.name)
        try:
            for chunk in chunks:
                yield counter.tag(chunk)
        finally:
            _close(chunks)  # an abandoned stream rolls the conversation back now


class SkillAgent(SkillAgentCore, Agent):
    """An agent with skills: ``SKILL.md`` folders (agentskills.io format).

    Args:
        client: the model client.
        skills: a :class:`~aimu_core.skills.SkillManager`, or folders to scan
            for ``*/SKILL.md`` (the default folders when ``None``: see
            :data:`aimu_core.skills.DEFAULT_SKILL_DIRS`).
        system_message: your system prompt; the skills catalog is appended.

    Other arguments as for :class:`Agent`. The model sees each skill's name
    and description and calls ``activate_skill(name)`` to read its body.
    """


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
