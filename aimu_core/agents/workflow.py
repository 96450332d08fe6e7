"""The base of the code-controlled runners: a *flow*, and the sync and async drivers that run it.

Each workflow's control flow is written once, in its ``*Core``, as a flow: a
generator that yields a :class:`Step` ("run this member on this task") and
receives the member's output text. :class:`Workflow` drives a flow with
``runner.run(...)``, :class:`AsyncWorkflow` with ``await runner.run(...)``;
neither repeats the decisions (what to ask next, when to stop, what to
return), and :class:`FlowRun` holds the bookkeeping the two drivers share.
``run(schema=...)`` wraps the flow in :func:`held_to`, which adds the one
repair step an answer that does not match the schema gets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import StructuredOutputError, clipped
from ..models.images import ImageInput
from ..models.stream import Phase, StreamChunk
from ..models.structured import OutputSchema
from .runner import AsyncRunner, Runner, RunnerCore, aclose_stream, close_stream

__all__ = [
    "AsyncWorkflow",
    "Flow",
    "FlowRun",
    "Step",
    "StepOutput",
    "Workflow",
    "WorkflowCore",
    "held_to",
]


@dataclass
class Step:
    """One member run a workflow's flow asks for: ``runner.run(task, images=images)``.

    ``iteration`` is the workflow's own counter (step, round, worker index),
    set on every chunk that run streams.
    """

    runner: Any
    task: str
    images: list[Any] | None
    iteration: int


#: A workflow's control flow: yields steps, receives each step's output, returns the result.
Flow = Generator[Step, str, str]


def held_to(flow: Flow, schema: OutputSchema | None) -> Flow:
    """*flow*, its answer held to *schema* (the flow itself when ``None``).

    An answer that does not match gets one repair request: one more step, in
    which the member that gave the answer (the last step whose output it is)
    is shown it, with the problems and the schema, and asked to rewrite it. A
    rewrite that still does not match raises
    :class:`~aimu_core.errors.StructuredOutputError` carrying it. So does an
    answer no member gave whole (a ``Parallel`` without an aggregator joins
    its workers' answers), since there is no one to ask.
    """
    if schema is None:
        return (yield from flow)
    outputs: list[tuple[Step, str]] = []
    try:
        step = next(flow)
        while True:
            output = yield step
            outputs.append((step, output))
            step = flow.send(output)
    except StopIteration as stop:
        answer: str = stop.value
    problems = _problems(answer, schema)
    if problems is None:
        return answer
    giver = next((step for step, output in reversed(outputs) if output == answer), None)
    if giver is None:
        raise StructuredOutputError(
            f"The workflow's answer does not match schema {schema.name!r}: "
            f"{clipped(problems, 300)}. No single member gave that answer (a Parallel without "
            "an aggregator joins its workers' answers), so none can be asked to repair it; give "
            "it an aggregator=. The raw answer is in the error's `raw`.",
            raw=answer,
            problems=problems,
        )
    # The answer is quoted: a member wrapped from a client starts each run afresh.
    repair = f"Your answer:\n{answer}\n\n{schema.repair_message(problems)}"
    repaired = yield Step(giver.runner, repair, None, giver.iteration)
    problems = _problems(repaired, schema)
    if problems is not None:
        member = getattr(giver.runner, "name", "?")
        raise StructuredOutputError(
            f"The workflow's answer does not match schema {schema.name!r}, even after a repair "
            f"request to its member {member!r}: {clipped(problems, 300)}. The raw answer is in "
            "the error's `raw`; an Agent as that member, run on a provider that enforces "
            "schemas natively, or a simpler schema may help.",
            raw=repaired,
            problems=problems,
        )
    return repaired


def _problems(text: str, schema: OutputSchema) -> str | None:
    """What is wrong with *text* as an answer in *schema*'s form; ``None`` if nothing."""
    try:
        schema.parse(text)
    except ValueError as exc:
        return str(exc)
    return None


class StepOutput:
    """Collects one member's streamed run: the text it produced and its ``done`` content."""

    def __init__(self) -> None:
        self._text: list[str] = []
        self.done: dict[str, Any] | None = None

    def feed(self, chunk: StreamChunk, runner: Any, iteration: int) -> StreamChunk | None:
        """The chunk to pass on (re-tagged), or ``None`` for a member's ``done`` chunk."""
        if chunk.phase is Phase.DONE:
            self.done = chunk.content if isinstance(chunk.content, dict) else None
            return None
        if chunk.phase is Phase.GENERATING and isinstance(chunk.content, str):
            self._text.append(chunk.content)
        return chunk._replace(
            agent=chunk.agent or getattr(runner, "name", None), iteration=iteration
        )

    @property
    def text(self) -> str:
        if self.done is not None and isinstance(self.done.get("text"), str):
            return str(self.done["text"])
        return "".join(self._text)


class FlowRun:
    """One run of a flow: the step to run next, the outputs handed back, the final ``done``.

    ``step`` is the step to run now, ``None`` once the flow has returned
    ``result``. The one ``done`` chunk a streamed workflow ends with carries
    the member turn that gave the result, if any, and the last step's
    ``iteration`` (*iteration* when the flow ran no step).
    """

    def __init__(self, flow: Flow, owner: str, iteration: int = 0) -> None:
        self._flow = flow
        self._owner = owner
        self._dones: list[dict[str, Any] | None] = []
        self.iteration = iteration
        self.result = ""
        self.step: Step | None = None
        self._resume(None)

    def _resume(self, output: str | None) -> None:
        try:
            step = next(self._flow) if output is None else self._flow.send(output)
        except StopIteration as stop:
            self.step, self.result = None, stop.value
        else:
            self.step, self.iteration = step, step.iteration

    def send(self, output: str) -> None:
        """Hand the step's answer to the flow; ``step`` becomes the next step."""
        self._resume(output)

    def send_streamed(self, output: StepOutput) -> None:
        """Hand the step's streamed output to the flow; ``step`` becomes the next step."""
        self._dones.append(output.done)
        self._resume(output.text)

    def done_chunk(self) -> StreamChunk:
        content: dict[str, Any] = {
            "text": self.result,
            "thinking": "",
            "usage": None,
            "finish_reason": "stop",
        }
        for done in reversed(self._dones):
            if done is not None and done.get("text") == self.result:
                content = {**done, "text": self.result}
                break
        return StreamChunk(Phase.DONE, content, self._owner, self.iteration)


class WorkflowCore(RunnerCore):
    """A runner whose code directs the flow, written once as :meth:`_flow` for both surfaces."""

    def _flow(self, task: str, images: list[Any] | None) -> Flow:
        raise NotImplementedError

    def __repr__(self) -> str:
        members = ", ".join(getattr(m, "name", "?") for m in self._members())
        return f"{type(self).__name__}(name={self.name!r}, members=[{members}])"


class Workflow(WorkflowCore, Runner):
    """A sync workflow: runs its flow's steps with ``runner.run(...)``.

    ``run`` hands over to ``_answer`` or ``_stream``, which run :meth:`_flow`;
    a workflow that does more than one step at a time (``Parallel``)
    overrides those two.
    """

    def run(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
        images: Iterable[ImageInput] | None = None,
        schema: Any = None,
    ) -> Any:
        """Run the flow; with ``schema=`` its answer is held to the schema (see :func:`held_to`)."""
        images = list(images) if images else None
        output = OutputSchema(schema) if schema is not None else None
        if stream:
            chunks = self._stream(task, generate_kwargs, images, output)
            return _structured_stream(chunks, output) if output else chunks
        text = self._answer(task, generate_kwargs, images, output)
        return output.parse(text) if output else text

    def _answer(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None,
        images: list[Any] | None,
        schema: OutputSchema | None,
    ) -> str:
        return self._run_flow(held_to(self._flow(task, images), schema), generate_kwargs)

    def _stream(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None,
        images: list[Any] | None,
        schema: OutputSchema | None,
    ) -> Iterator[StreamChunk]:
        return self._stream_flow(held_to(self._flow(task, images), schema), generate_kwargs)

    def _run_flow(self, flow: Flow, generate_kwargs: Mapping[str, Any] | None) -> str:
        run = FlowRun(flow, self.name)
        while (step := run.step) is not None:
            run.send(step.runner.run(step.task, generate_kwargs, stream=False, images=step.images))
        return run.result

    def _stream_flow(
        self, flow: Flow, generate_kwargs: Mapping[str, Any] | None, iteration: int = 0
    ) -> Iterator[StreamChunk]:
        """Stream each step's chunks (tagged with the step's iteration), then one ``done``."""
        run = FlowRun(flow, self.name, iteration)
        while (step := run.step) is not None:
            output = StepOutput()
            chunks = step.runner.run(step.task, generate_kwargs, stream=True, images=step.images)
            try:
                for chunk in chunks:
                    tagged = output.feed(chunk, step.runner, step.iteration)
                    if tagged is not None:
                        yield tagged
            finally:
                close_stream(chunks)
            run.send_streamed(output)
        yield run.done_chunk()


class AsyncWorkflow(WorkflowCore, AsyncRunner):
    """Async twin of :class:`Workflow`: awaits its flow's steps."""

    async def run(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
        images: Iterable[ImageInput] | None = None,
        schema: Any = None,
    ) -> Any:
        images = list(images) if images else None
        output = OutputSchema(schema) if schema is not None else None
        if stream:
            chunks = self._stream(task, generate_kwargs, images, output)
            return _astructured_stream(chunks, output) if output else chunks
        text = await self._answer(task, generate_kwargs, images, output)
        return output.parse(text) if output else text

    async def _answer(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None,
        images: list[Any] | None,
        schema: OutputSchema | None,
    ) -> str:
        return await self._run_flow(held_to(self._flow(task, images), schema), generate_kwargs)

    def _stream(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None,
        images: list[Any] | None,
        schema: OutputSchema | None,
    ) -> AsyncIterator[StreamChunk]:
        return self._stream_flow(held_to(self._flow(task, images), schema), generate_kwargs)

    async def _run_flow(self, flow: Flow, generate_kwargs: Mapping[str, Any] | None) -> str:
        run = FlowRun(flow, self.name)
        while (step := run.step) is not None:
            run.send(
                await step.runner.run(step.task, generate_kwargs, stream=False, images=step.images)
            )
        return run.result

    async def _stream_flow(
        self, flow: Flow, generate_kwargs: Mapping[str, Any] | None, iteration: int = 0
    ) -> AsyncIterator[StreamChunk]:
        run = FlowRun(flow, self.name, iteration)
        while (step := run.step) is not None:
            output = StepOutput()
            chunks = await step.runner.run(
                step.task, generate_kwargs, stream=True, images=step.images
            )
            try:
                async for chunk in chunks:
                    tagged = output.feed(chunk, step.runner, step.iteration)
                    if tagged is not None:
                        yield tagged
            finally:
                await aclose_stream(chunks)
            run.send_streamed(output)
        yield run.done_chunk()


def _with_structured(chunk: StreamChunk, schema: OutputSchema) -> StreamChunk:
    if chunk.phase is not Phase.DONE:
        return chunk
    content = dict(chunk.content)
    content["structured"] = schema.parse(content["text"])  # held_to made sure it parses
    return chunk._replace(content=content)


def _structured_stream(
    chunks: Iterator[StreamChunk], schema: OutputSchema
) -> Iterator[StreamChunk]:
    """A workflow's stream whose ``done`` chunk holds the validated answer."""
    try:
        for chunk in chunks:
            yield _with_structured(chunk, schema)
    finally:
        close_stream(chunks)


async def _astructured_stream(
    chunks: AsyncIterator[StreamChunk], schema: OutputSchema
) -> AsyncIterator[StreamChunk]:
    try:
        async for chunk in chunks:
            yield _with_structured(chunk, schema)
    finally:
        await aclose_stream(chunks)
