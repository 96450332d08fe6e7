"""``skills_server()``: a folder of skills as an MCP server, for any MCP client.

The server offers ``activate_skill(name)`` (a skill's instructions; the
catalog of names and descriptions is in the tool's description and in the
server's instructions, since a client model sees no aimu system prompt) and
one ``{skill}__{script}`` tool per ``scripts/*.py|*.sh`` of each skill, run as
:func:`aimu_core.skills.run_script` runs it (a subprocess in the skill's
folder, a time limit, capped output). ``aimu skills serve`` runs it over stdio.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from typing import Any

from aimu_core.provider import AimuError

__all__ = ["skills_server"]


def skills_server(
    skills: Any = None,
    *,
    name: str = "aimu-skills",
    timeout: float | None = None,
    max_output: int | None = None,
) -> Any:
    """A FastMCP server exposing *skills*.

    Args:
        skills: a :class:`~aimu_core.skills.SkillManager`, or the folders to
            scan (the default folders when ``None``, as for ``SkillAgent``).
            Malformed skills are left out (``manager.errors`` says why).
        name: the server's name.
        timeout: seconds a script may run (30 by default).
        max_output: characters of a script's output returned (16,000 by default).
    """
    from fastmcp import FastMCP
    from fastmcp.exceptions import ToolError as MCPToolError

    from aimu_core.skills import SkillManager
    from aimu_core.skills.scripts import DEFAULT_MAX_OUTPUT, DEFAULT_TIMEOUT

    manager = skills if isinstance(skills, SkillManager) else SkillManager(_folders(skills))
    limit = DEFAULT_TIMEOUT if timeout is None else timeout
    cap = DEFAULT_MAX_OUTPUT if max_output is None else max_output
    server = FastMCP(name, instructions=manager.catalog_prompt() or None)

    def activate_skill(name: str) -> str:
        try:
            return manager.activate(name)
        except AimuError as exc:
            raise MCPToolError(str(exc)) from None

    catalog = "; ".join(f"{s.name}: {s.description}" for s in manager) or "none"
    server.tool(
        activate_skill,
        name="activate_skill",
        description="Load the full instructions of a skill before doing a task it covers. "
        f"Available skills: {catalog}",
    )
    for script in manager.scripts():
        server.tool(
            _script_tool(script, limit, cap, MCPToolError),
            name=script.tool_name,
            description=f"{script.description} args: the script's command-line arguments.",
        )
    return server


def _script_tool(script: Any, timeout: float, max_output: int, tool_error: type) -> Any:
    from aimu_core.skills import run_script

    async def run(args: list[str] | None = None) -> str:
        try:  # in a thread: the server keeps answering while a script runs
            return await asyncio.to_thread(
                run_script, script, args or (), timeout=timeout, max_output=max_output
            )
        except AimuError as exc:
            raise tool_error(str(exc)) from None

    return run


def _folders(skills: Any) -> Iterable[str | os.PathLike[str]] | None:
    if skills is None or isinstance(skills, (str, os.PathLike)):
        return [skills] if skills is not None else None
    return list(skills)
