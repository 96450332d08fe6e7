"""One skill: a folder with a ``SKILL.md`` in the agentskills.io format, checked on load."""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SkillError, quoted
from .frontmatter import split_front_matter

__all__ = ["Skill", "load_skill"]

_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_KNOWN = {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}


@dataclass(frozen=True)
class Skill:
    """A skill's header; the instructions (the body) are read on activation, not at discovery.

    Attributes:
        name: lower-case-with-dashes, equal to the folder's name.
        description: what the skill does and when to use it (what the model sees).
        path: the skill's folder.
        license, compatibility, metadata, allowed_tools: the optional spec fields.
        extra: any other header fields, kept as read.
    """

    name: str
    description: str
    path: Path
    license: str | None = None
    compatibility: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    allowed_tools: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def file(self) -> Path:
        return self.path / "SKILL.md"

    def instructions(self) -> str:
        """The ``SKILL.md`` body (everything after the front matter), read now."""
        _, body = split_front_matter(_read(self.file), str(self.file))
        return body


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SkillError(f"{file}: not UTF-8 text ({exc})") from None
    except OSError as exc:
        raise SkillError(f"{file}: cannot be read ({exc.strerror or exc})") from None


def _optional_text(
    header: Mapping[str, Any], key: str, file: Path, limit: int | None = None
) -> str | None:
    value = header.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise SkillError(f"{file}: {key!r} must be a string, got {type(value).__name__}")
    value = value.strip()
    if limit is not None and len(value) > limit:
        raise SkillError(f"{file}: {key!r} is {len(value)} characters long; the limit is {limit}")
    return value


def load_skill(folder: str | os.PathLike[str]) -> Skill:
    """Read and check the ``SKILL.md`` of *folder*.

    Raises:
        SkillError: no ``SKILL.md``, no or malformed front matter, a missing or
            invalid ``name`` (1-64 of ``a-z 0-9 -``, no leading, trailing or
            double hyphen, equal to the folder name) or ``description`` (1-1024
            characters), or an optional field of the wrong shape.
    """
    path = Path(folder)
    file = path / "SKILL.md"
    if not file.is_file():
        raise SkillError(f"{path}: a skill folder must contain a SKILL.md file")
    header, _ = split_front_matter(_read(file), str(file))

    name = header.get("name")
    if name is None or name == "":
        raise SkillError(
            f"{file}: the front matter needs a 'name' (the folder name, {path.name!r})"
        )
    if not isinstance(name, str) or len(name) > 64 or not _NAME.match(name):
        raise SkillError(
            f"{file}: name {quoted(name)} is invalid: use 1-64 lower-case letters, digits and single "
            "hyphens, not at the start or end (e.g. 'pdf-processing')"
        )
    if name != path.name:
        raise SkillError(f"{file}: name {quoted(name)} must match its folder's name {path.name!r}")

    description = _optional_text(header, "description", file, limit=1024)
    if description is None:
        raise SkillError(
            f"{file}: the front matter needs a non-empty 'description' saying what the skill "
            "does and when to use it"
        )
    metadata = header.get("metadata") or {}
    scalar = (str, int, float, bool, datetime.date)  # YAML reads `version: 1.0` as a float
    if not isinstance(metadata, Mapping) or not all(
        isinstance(v, scalar) for v in metadata.values()
    ):
        raise SkillError(f"{file}: 'metadata' must be a map of string keys to string values")
    metadata = {str(k): str(v) for k, v in metadata.items()}
    allowed = header.get("allowed-tools") or ""
    if not isinstance(allowed, str):
        raise SkillError(f"{file}: 'allowed-tools' must be a space-separated string of tool names")
    return Skill(
        name=name,
        description=description,
        path=path,
        license=_optional_text(header, "license", file),
        compatibility=_optional_text(header, "compatibility", file, limit=500),
        metadata=dict(metadata),
        allowed_tools=tuple(allowed.split()),
        extra={k: v for k, v in header.items() if k not in _KNOWN},
    )
