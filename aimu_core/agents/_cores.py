"""The state every runner holds, shared by the sync and async classes.

Each ``*Core`` mixin holds a runner's configuration, its members and its
``messages``/``restore`` logic; a concrete class adds only ``run``, from the
sync ``Runner`` (:mod:`aimu_core.agents`) or the async one
(:mod:`aimu_core.aio`). The workflows' cores, with their control flows, are in
:mod:`._workflow_cores`.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import ConfigurationError
from ..tools.decorator import tool, tool_spec
from . import _prompts as templates
from ._shared import (
    Step,
    check_client,
    check_name,
    is_client,
    merge_messages,
    restore_client,
    runner_flavour,
    validate_saved,
)

if TYPE_CHECKING:
    from ..skills import SkillManager

__all__ = ["AgentCore", "Flow", "OrchestratorCore", "RunnerCore", "SkillAgentCore"]

#: A workflow's control flow: yields steps, receives each step's output, returns the result.
Flow = Generator[Step, str, str]

_SKILL_TOOL_MARK = "__aimu_activate_skill__"


class RunnerCore:
    """What every runner has besides I/O: a name, members, ``messages`` and ``restore``.

    ``_asynchronous`` and ``_wrap_client`` come from the sync ``Runner`` or the
    async ``aio.Runner`` base a concrete class also derives from.
    """

    _asynchronous: ClassVar[bool]
    name: str
    description: str

    if TYPE_CHECKING:

        def _wrap_client(self, client: Any, name: str) -> Any: ...

    def _own_conversations(self) -> list[tuple[str, Any]]:
        """``(name, client)`` for the conversations this runner itself holds."""
        return []

    def _members(self) -> list[Any]:
        """The runners this one runs (steps, handlers, workers ...)."""
        return []

    def _member(self, obj: Any, name: str, role: str) -> Any:
        """A member as a runner: runners are kept, a bare client becomes an ``Agent`` named *name*.

        The wrapping ``Agent`` resets its conversation at each run: a
        workflow's code passes each call everything it needs.
        """
        flavour = runner_flavour(obj)
        kind = "async" if self._asynchronous else "sync"
        if flavour is not None:
            if flavour != self._asynchronous:
                other = "aimu_core.agents" if self._asynchronous else "aimu_core.aio"
                raise ConfigurationError(
                    f"{type(self).__name__} {self.name!r} is {kind}, but its {role} "
                    f"{getattr(obj, 'name', obj)!r} is a {other} runner; use the same surface "
                    "for every part of a workflow"
                )
            return obj
        if is_client(obj):
            check_client(
                obj, self._asynchronous, f"the {role} of {type(self).__name__} {self.name!r}"
            )
            return self._wrap_client(obj, name)
        raise ConfigurationError(
            f"the {role} of {type(self).__name__} {self.name!r} must be a Runner or a model "
            f"client, got {type(obj).__name__}"
        )

    @property
    def messages(self) -> dict[str, list[dict[str, Any]]]:
        """Every conversation in this runner, by runner name (live lists: copy to save)."""
        return merge_messages(self.name, self._own_conversations(), self._members())

    def restore(self, messages: Mapping[str, list[dict[str, Any]]]) -> None:
        """Put back conversations saved from :attr:`messages` (e.g. after a restart).

        Names missing from *messages* are left as they are; unknown names are an
        error. System messages are not restored: each runner keeps its current one.
        """
        saved = validate_saved(self.name, messages, self.messages)
        for key, client in self._own_conversations():
            if key in saved:
                restore_client(client, saved[key])
        seen: set[int] = set()
        for member in self._members():
            if id(member) in seen:
                continue
            seen.add(id(member))
            part = {key: saved[key] for key in member.messages if key in saved}
            if part:
                member.restore(part)


# -- autonomous -------------------------------------------------------------------------------


class AgentCore(RunnerCore):
    """An agent: a client, a system message and tools; the client's tool loop does the work.

    Configuring the agent configures its client (the agent drives it):
    ``system_message``, ``tools`` and ``max_iterations`` (the client's
    ``max_tool_rounds``) are the client's own attributes.
    """

    def __init__(
        self,
        client: Any,
        system_message: str | None = None,
        *,
        name: str = "agent",
        tools: Iterable[Callable[..., Any]] | None = None,
        max_iterations: int | None = None,
        reset_messages_on_run: bool = False,
        description: str = "",
    ) -> None:
        check_client(client, self._asynchronous, type(self).__name__)
        self.client = client
        self.name = check_name(name)
        self.description = description
        self.reset_messages_on_run = reset_messages_on_run
        if system_message is not None:
            client.system_message = system_message
        if tools is not None:
            self.tools = list(tools)
        if max_iterations is not None:
            self.max_iterations = max_iterations

    @property
    def system_message(self) -> str | None:
        return self.client.system_message

    @system_message.setter
    def system_message(self, value: str | None) -> None:
        self.client.system_message = value

    @property
    def tools(self) -> list[Callable[..., Any]]:
        return self.client.tools

    @tools.setter
    def tools(self, value: Iterable[Callable[..., Any]]) -> None:
        value = list(value)
        for fn in value:
            tool_spec(fn)  # a bad signature fails here, not in the middle of a run
        self.client.tools = value

    @property
    def max_iterations(self) -> int:
        """Rounds of tool calls per run; then one final call with tools disabled."""
        return self.client.max_tool_rounds

    @max_iterations.setter
    def max_iterations(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigurationError(f"max_iterations must be an integer >= 1, got {value!r}")
        self.client.max_tool_rounds = value

    def _own_conversations(self) -> list[tuple[str, Any]]:
        return [(self.name, self.client)]

    def _start_run(self) -> None:
        if self.reset_messages_on_run:
            self.client.reset()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, client={self.client!r})"


class SkillAgentCore(AgentCore):
    """An agent that knows a catalog of skills and loads one when the model asks for it.

    The catalog (names and descriptions) is in the system prompt; the model
    calls ``activate_skill(name)`` to read a skill's full instructions.
    """

    def __init__(
        self,
        client: Any,
        skills: SkillManager | Iterable[Any] | None = None,
        system_message: str | None = None,
        *,
        name: str = "skill_agent",
        tools: Iterable[Callable[..., Any]] | None = None,
        max_iterations: int | None = None,
        reset_messages_on_run: bool = False,
        description: str = "",
    ) -> None:
        from ..skills import SkillManager

        check_client(client, self._asynchronous, type(self).__name__)
        self.skills = (
            skills if isinstance(skills, SkillManager) else SkillManager(skills)  # type: ignore[arg-type]
        )
        self.activated_skills: list[str] = []
        self._base_system_message = (
            system_message if system_message is not None else client.system_message
        )
        extra = [
            fn
            for fn in (list(tools) if tools is not None else list(client.tools))
            if not getattr(fn, _SKILL_TOOL_MARK, False)
        ]
        if any(tool_spec(fn)["function"]["name"] == "activate_skill" for fn in extra):
            raise ConfigurationError(
                "a SkillAgent adds its own activate_skill tool; rename the tool you passed"
            )
        super().__init__(
            client,
            None,
            name=name,
            tools=[*extra, self._activate_tool()],
            max_iterations=max_iterations,
            reset_messages_on_run=reset_messages_on_run,
            description=description,
        )
        self._compose()

    def _activate_tool(self) -> Callable[..., Any]:
        manager, activated = self.skills, self.activated_skills

        def activate_skill(name: str) -> str:
            """Load the full instructions of a skill from the catalog.

            Args:
                name: the skill's name, exactly as listed in available_skills.
            """
            text = manager.activate(name)
            activated.append(name)
            return text

        fn = tool(
            name="activate_skill",
            description="Load the full instructions of one of the available skills. "
            "Call it before doing a task that a listed skill covers.",
        )(activate_skill)
        setattr(fn, _SKILL_TOOL_MARK, True)
        return fn

    def _compose(self) -> None:
        self.client.system_message = self.skills.system_prompt(self._base_system_message)

    @property
    def system_message(self) -> str | None:
        """The system prompt as sent: yours, followed by the skills catalog."""
        return self.client.system_message

    @system_message.setter
    def system_message(self, value: str | None) -> None:
        self._base_system_message = value
        self._compose()

    def reload_skills(self) -> None:
        """Rescan the skill folders and refresh the catalog in the system prompt."""
        self.skills.reload()
        self._compose()


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
        max_iterations: int | None = None,
        reset_messages_on_run: bool = False,
        description: str = "",
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
            system_message = templates.orchestrator_prompt(
                {
                    tool_spec(t)["function"]["name"]: tool_spec(t)["function"]["description"]
                    for t in worker_tools
                }
            )
        super().__init__(
            client,
            system_message,
            name=name,
            tools=[*extra, *worker_tools],
            max_iterations=max_iterations,
            reset_messages_on_run=reset_messages_on_run,
            description=description,
        )
        self.messages  # noqa: B018 - fail now on a name collision, not at save time

    def _members(self) -> list[Any]:
        return list(self.workers)
