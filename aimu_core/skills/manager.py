"""Finding skills in folders, describing them to a model, and activating one by name."""

from __future__ import annotations

import html
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import SkillError, quoted
from .scripts import SkillScript, skill_scripts
from .skill import Skill, load_skill

__all__ = ["DEFAULT_SKILL_DIRS", "SkillManager"]

#: Where skills are looked for when no folders are given: the project's, then the user's.
#: Relative paths are relative to the current directory; an earlier folder wins a name.
DEFAULT_SKILL_DIRS: tuple[str, ...] = (
    ".agents/skills",
    ".claude/skills",
    "~/.agents/skills",
    "~/.claude/skills",
)

_INTRO = (
    "You have skills: folders of instructions for specific kinds of task. When a task matches "
    "a skill's description, call activate_skill with the skill's name to load its "
    "instructions before you start, then follow them."
)


class SkillManager:
    """The skills found in a list of folders.

    Each folder is scanned for ``*/SKILL.md`` (a folder holding a ``SKILL.md``
    itself is one skill). When two folders hold a skill of the same name, the
    earlier folder wins. Folders you name must exist; missing default folders
    are skipped. A malformed skill is left out and its
    :class:`~aimu_core.errors.SkillError` kept in :attr:`errors`: the others load.
    """

    def __init__(
        self, skill_dirs: Iterable[str | os.PathLike[str]] | str | os.PathLike[str] | None = None
    ) -> None:
        self._explicit = skill_dirs is not None
        if skill_dirs is None:
            skill_dirs = DEFAULT_SKILL_DIRS
        elif isinstance(skill_dirs, (str, os.PathLike)):
            skill_dirs = [skill_dirs]
        self.skill_dirs = [Path(d).expanduser() for d in skill_dirs]
        self.skills: dict[str, Skill] = {}
        #: The skills that failed to load at the last scan, each with what is wrong.
        self.errors: list[SkillError] = []
        self.reload()

    def reload(self) -> None:
        """Scan the folders again (skills added, changed or removed since are picked up)."""
        found: dict[str, Skill] = {}
        errors: list[SkillError] = []
        for root in self.skill_dirs:
            if not root.is_dir():
                if self._explicit:
                    raise SkillError(f"skill folder {str(root)!r} does not exist")
                continue
            folders = (
                [root]
                if (root / "SKILL.md").is_file()
                else sorted(p.parent for p in root.glob("*/SKILL.md"))
            )
            for folder in folders:
                try:
                    skill = load_skill(folder)
                except SkillError as exc:
                    errors.append(exc)
                    continue
                found.setdefault(skill.name, skill)
        self.skills, self.errors = found, errors

    def __iter__(self) -> Iterator[Skill]:
        return iter(self.skills.values())

    def __len__(self) -> int:
        return len(self.skills)

    def __contains__(self, name: object) -> bool:
        return name in self.skills

    def get(self, name: str) -> Skill:
        try:
            return self.skills[name]
        except KeyError:
            known = ", ".join(sorted(self.skills)) or "none"
            raise SkillError(
                f"there is no skill named {quoted(name)}; available skills: {known}"
            ) from None

    def scripts(self) -> list[SkillScript]:
        """Every skill's runnable scripts (``scripts/*.py|*.sh``), skill by skill."""
        return [script for skill in self.skills.values() for script in skill_scripts(skill)]

    def catalog_prompt(self) -> str:
        """The skills, as the model sees them in the system prompt ("" when there are none)."""
        if not self.skills:
            return ""
        entries = "\n".join(
            f"<skill>\n<name>{html.escape(s.name)}</name>\n"
            f"<description>{html.escape(s.description, quote=False)}</description>\n</skill>"
            for s in self.skills.values()
        )
        return f"{_INTRO}\n\n<available_skills>\n{entries}\n</available_skills>"

    def system_prompt(self, base: str | None) -> str | None:
        """*base* followed by the catalog."""
        catalog = self.catalog_prompt()
        if not catalog:
            return base
        return f"{base}\n\n{catalog}" if base else catalog

    def activate(self, name: str) -> str:
        """The instructions of skill *name*, as the ``activate_skill`` tool returns them."""
        skill = self.get(name)
        return (
            f"{skill.instructions()}\n\n(Skill {skill.name} lives in {skill.path}; relative paths "
            "in these instructions are relative to that folder.)"
        )

    def __repr__(self) -> str:
        return f"SkillManager({sorted(self.skills)})"
