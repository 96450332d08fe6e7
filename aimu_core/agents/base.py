"""``Runner``: the one interface of everything runnable, and the sync drivers of workflow flows."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar

from ..models.images import ImageInput
from ..models.stream import Phase, StreamChunk
from ..tools.decorator import tool
from ._cores import Flow
from ._shared import StepOutput, done_content, tool_name

__all__ = ["Runner"]

_TASK_DOC = "the task, stated completely: the runner sees nothing else."


class Runner(ABC):
    """Anything you can ``run()``: agents (the model directs the flow) and workflows (code does).

    ``run`` returns the final text, or with ``stream=True`` an iterator of
    :class:`~aimu_core.models.StreamChunk` whose ``agent`` names the runner that
    produced each chunk and whose ``iteration`` counts the loop of the runner
    you called (an agent's tool round, a chain's step, a workflow's round).
    ``messages`` holds every conversation inside, by runner name; save it and
    hand it to ``restore()`` to continue after a restart.
    """

    _asynchronous: ClassVar[bool] = False
    name: str = "runner"
    description: str = ""

    @abstractmethod
    def run(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
        images: Iterable[ImageInput] | None = None,
    ) -> str | Iterator[StreamChunk]:
        """Run *task*: the answer, or with ``stream=True`` an iterator of chunks."""

    @property
    @abstractmethod
    def messages(self) -> dict[str, list[dict[str, Any]]]:
        """Every conversation this runner holds, by runner name."""

    def restore(self, messages: Mapping[str, list[dict[str, Any]]]) -> None:
        """Put back conversations saved from :attr:`messages`."""
        raise NotImplementedError(f"{type(self).__name__} does not support restore()")

    def as_tool(
        self, name: str | None = None, description: str | None = None
    ) -> Callable[[str], str]:
        """This runner as an ``@tool`` function taking ``task: str``, for another agent to call.

        Calls are serialized: a runner holds one conversation, so two agents
        sharing it as a tool take turns.
        """
        runner, lock = self, threading.Lock()
        label = tool_name(name or self.name)

        def delegate(task: str) -> str:
            with lock:
                result = runner.run(task)
            assert isinstance(result, str)
            return result

        delegate.__doc__ = f"Hand a task to {self.name}.\n\nArgs:\n    task: {_TASK_DOC}"
        delegate.__name__ = delegate.__qualname__ = label
        return tool(name=label, description=description or _describe(self))(delegate)

    # -- members: a bare client inside a workflow becomes an Agent -----------------------------

    def _wrap_client(self, client: Any, name: str) -> Runner:
        from .agent import Agent

        return Agent(client, name=name, reset_messages_on_run=True)

    # -- driving a flow ---------------------------------------------------------------------------

    def _run_flow(self, flow: Flow, generate_kwargs: Mapping[str, Any] | None) -> str:
        try:
            step = next(flow)
            while True:
                output = step.runner.run(
                    step.task, generate_kwargs, stream=False, images=step.images
                )
                step = flow.send(output)
        except StopIteration as stop:
            return stop.value

    def _stream_flow(
        self, flow: Flow, generate_kwargs: Mapping[str, Any] | None, iteration: int = 0
    ) -> Iterator[StreamChunk]:
        """Stream each step's chunks (tagged with the step's iteration), then one ``done``."""
        dones: list[dict[str, Any] | None] = []
        try:
            step = next(flow)
            while True:
                iteration = step.iteration
                output = StepOutput()
                chunks = step.runner.run(
                    step.task, generate_kwargs, stream=True, images=step.images
                )
                try:
                    for chunk in chunks:
                        tagged = output.feed(chunk, step.runner, iteration)
                        if tagged is not None:
                            yield tagged
                finally:
                    _close(chunks)
                dones.append(output.done)
                step = flow.send(output.text)
        except StopIteration as stop:
            final: str = stop.value
        yield StreamChunk(Phase.DONE, done_content(final, dones), self.name, iteration)


def _close(chunks: Any) -> None:
    """Close a stream we stop reading (a client's stream then rolls its conversation back)."""
    close = getattr(chunks, "close", None)
    if close is not None:
        close()


def _describe(runner: Any) -> str:
    return runner.description or (
        f"Delegate a task to {runner.name} and get its answer. Give it everything it needs "
        "in the task."
    )
