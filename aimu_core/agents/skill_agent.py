"""``SkillAgent`` and ``AsyncSkillAgent``: an agent that loads ``SKILL.md`` skills on demand.

:class:`SkillAgentCore` puts the skills catalog (names and descriptions) in
the system prompt and adds the ``activate_skill`` tool through which the model
reads a skill's full instructions; the two classes add the agent's I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Unpack

from ..errors import ConfigurationError
from ..tools.decorator import tool, tool_spec
from ._clients import check_client
from .agent import Agent, AgentCore, AgentOptions, AsyncAgent

if TYPE_CHECKING:
    from ..skills import SkillManager

__all__ = ["AsyncSkillAgent", "SkillAgent", "SkillAgentCore"]

# Marks the tools a SkillAgent made (activate_skill, script tools), so that a client
# reused by another SkillAgent does not offer two of them.
_SKILL_TOOL_MARK = "__aimu_activate_skill__"


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
        script_tools: bool = False,
        **options: Unpack[AgentOptions],
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
        self.script_tools = script_tools
        super().__init__(
            client,
            None,
            name=name,
            tools=[*extra, self._activate_tool(), *self._scripts()],
            **options,
        )
        self._compose()

    def _scripts(self) -> list[Callable[..., Any]]:
        """The skills' scripts as tools (``{skill}__{script}``), when ``script_tools``."""
        if not self.script_tools:
            return []
        from ..skills import script_tools

        tools = script_tools(self.skills.scripts())
        for fn in tools:
            setattr(fn, _SKILL_TOOL_MARK, True)
        return tools

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
        """Rescan the skill folders; refresh the catalog in the system prompt (and the script tools)."""
        self.skills.reload()
        self._compose()
        if self.script_tools:
            kept = [fn for fn in self.tools if not _is_script_tool(fn)]
            self.tools = [*kept, *self._scripts()]


def _is_script_tool(fn: Any) -> bool:
    return (
        getattr(fn, _SKILL_TOOL_MARK, False)
        and tool_spec(fn)["function"]["name"] != "activate_skill"
    )


class SkillAgent(SkillAgentCore, Agent):
    """An agent with skills: ``SKILL.md`` folders (agentskills.io format).

    Args:
        client: the model client.
        skills: a :class:`~aimu_core.skills.SkillManager`, or folders to scan
            for ``*/SKILL.md`` (the default folders when ``None``: see
            :data:`aimu_core.skills.DEFAULT_SKILL_DIRS`).
        system_message: your system prompt; the skills catalog is appended.
        script_tools: offer each skill's ``scripts/*.py|*.sh`` as a tool
            ``{skill}__{script}`` taking the script's command-line ``args``; it runs
            in the skill's folder with a time limit and capped output (see
            :mod:`aimu_core.skills.scripts`).

    Other arguments as for :class:`Agent`. The model sees each skill's name
    and description and calls ``activate_skill(name)`` to read its body.
    """


class AsyncSkillAgent(SkillAgentCore, AsyncAgent):
    """Async twin of :class:`SkillAgent` (``aimu_core.aio.SkillAgent``)."""
