"""A skill's ``scripts/*.py`` and ``scripts/*.sh`` as tools a model can run.

Each script is one tool, ``{skill}__{script}`` (``pdf-tools__extract``), whose
only argument is ``args``: the script's command-line arguments. Used in-process
by :class:`~aimu_core.agents.SkillAgent` (``script_tools=True``) and served over
MCP by ``aimu_mcp.skills_server`` (``aimu skills serve``).

How a script runs, and what keeps it in its folder:

* as a subprocess (``python`` for ``.py``, ``bash`` for ``.sh``), never through
  a shell, so arguments are never interpreted;
* with the skill's folder as its working directory; a script whose real path
  (symlinks resolved) is outside ``scripts/`` of its skill is not offered;
  an argument naming a path outside the skill's folder (absolute, or with
  ``..``) is refused;
* with a time limit (30 s by default): the script and its children are
  killed at the limit;
* with its output (stdout, then stderr) capped at ``max_output`` characters.

A script that fails (non-zero exit), hangs or has vanished is a
:class:`~aimu_core.errors.ToolError` (a ``SkillError`` for a vanished one): in a
tool loop, the model reads it and goes on.
"""

from __future__ import annotations

import ast
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SkillError, ToolArgumentError, ToolError, quoted
from .skill import Skill

__all__ = [
    "DEFAULT_MAX_OUTPUT",
    "DEFAULT_TIMEOUT",
    "SkillScript",
    "run_script",
    "script_tools",
    "skill_scripts",
]

#: Seconds a script may run.
DEFAULT_TIMEOUT = 30.0
#: Characters of a script's output a model gets.
DEFAULT_MAX_OUTPUT = 16_000

_RUNNERS = {".py": [sys.executable], ".sh": ["bash"]}
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_ARGS_DOC = (
    "Command-line arguments for the script, one string each (no shell: quotes and $ are literal)."
)


@dataclass(frozen=True)
class SkillScript:
    """One runnable script of a skill.

    Attributes:
        skill: the skill's name.
        folder: the skill's folder (the script's working directory).
        path: the script, inside ``folder / "scripts"``.
        tool_name: ``{skill}__{script stem}`` (unsafe characters as ``_``, 64 at most).
        description: the script's docstring or leading comment, else a generic line.
    """

    skill: str
    folder: Path
    path: Path
    tool_name: str
    description: str


def skill_scripts(skill: Skill) -> list[SkillScript]:
    """The scripts of *skill* (``scripts/*.py`` and ``scripts/*.sh``), by name.

    Scripts that resolve outside the skill's ``scripts/`` folder (a symlink out)
    are left out.
    """
    folder = skill.path.resolve()
    scripts_dir = folder / "scripts"
    if not scripts_dir.is_dir():
        return []
    found = []
    for path in sorted(scripts_dir.iterdir()):
        if path.suffix not in _RUNNERS or not path.is_file():
            continue
        if not path.resolve().is_relative_to(scripts_dir):
            continue
        name = _UNSAFE.sub("_", f"{skill.name}__{path.stem}")[:64]
        found.append(SkillScript(skill.name, folder, path, name, _describe(skill, path)))
    return found


def _describe(skill: Skill, path: Path) -> str:
    summary = ""
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            summary = (ast.get_docstring(ast.parse(text)) or "").strip().split("\n\n")[0]
        else:
            comments = []
            for line in text.splitlines()[:20]:
                if line.startswith("#!"):
                    continue
                if not line.startswith("#"):
                    break
                comments.append(line.lstrip("#").strip())
            summary = " ".join(c for c in comments if c)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        pass
    where = f"scripts/{path.name} of the skill {skill.name!r}"
    summary = " ".join(summary.split())
    return f"{summary} (runs {where})" if summary else f"Run {where}."


def run_script(
    script: SkillScript,
    args: Sequence[str] = (),
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_output: int = DEFAULT_MAX_OUTPUT,
) -> str:
    """Run *script* with *args*; its output (stdout, then stderr), capped.

    Raises:
        ToolArgumentError: an argument is not a string, or names a path outside
            the skill's folder.
        SkillError: the script no longer exists.
        ToolError: the script failed (its exit code and output are in the
            message) or ran past *timeout* seconds (it was killed).
    """
    argv = [*_RUNNERS[script.path.suffix], str(script.path), *_checked(script, args)]
    if not script.path.is_file():
        raise SkillError(f"{script.path}: the script no longer exists; reload the skills")
    try:
        process = subprocess.Popen(
            argv,
            cwd=script.folder,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, killed whole at the time limit
        )
    except OSError as exc:
        raise ToolError(f"cannot start {script.tool_name}: {exc.strerror or exc}") from None
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise ToolError(
            f"{script.tool_name} ran past its {timeout:g} s limit and was stopped"
        ) from None
    except BaseException:  # Ctrl-C while waiting: the script does not outlive the call
        _kill_group(process)
        raise
    parts = (_text(out).rstrip("\n"), _text(err).rstrip("\n"))
    output = _capped("\n".join(part for part in parts if part), max_output)
    if process.returncode != 0:
        raise ToolError(
            f"{script.tool_name} failed (exit code {process.returncode})"
            + (f":\n{output}" if output else "")
        )
    return output


def _checked(script: SkillScript, args: Iterable[Any]) -> list[str]:
    checked = []
    for arg in args:
        if not isinstance(arg, str):
            raise ToolArgumentError(f"every argument must be a string, got {quoted(arg)}")
        if "\x00" in arg:
            raise ToolArgumentError("an argument holds a NUL character")
        if os.path.isabs(arg) or ".." in Path(arg).parts:
            target = (script.folder / arg).resolve()
            if not target.is_relative_to(script.folder):
                raise ToolArgumentError(
                    f"argument {quoted(arg)} names a path outside the skill's folder; "
                    "use paths relative to it"
                )
        checked.append(arg)
    return checked


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.communicate()


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _capped(text: str, limit: int) -> str:
    text = text.rstrip("\n")
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[output cut at {limit} of {len(text)} characters]"


def script_tools(
    scripts: Iterable[SkillScript],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_output: int = DEFAULT_MAX_OUTPUT,
) -> list[Callable[..., str]]:
    """One ``@tool`` function per script, for an agent's ``tools``."""
    return [_script_tool(script, timeout, max_output) for script in scripts]


def _script_tool(script: SkillScript, timeout: float, max_output: int) -> Callable[..., str]:
    from ..tools.decorator import tool

    def run(args: list[str] | None = None) -> str:
        return run_script(script, args or (), timeout=timeout, max_output=max_output)

    run.__doc__ = f"{script.description}\n\nArgs:\n    args: {_ARGS_DOC}"
    run.__name__ = run.__qualname__ = script.tool_name
    return tool(name=script.tool_name, description=script.description)(run)
