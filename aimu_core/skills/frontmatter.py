"""Reading a ``SKILL.md`` front matter block without a YAML library.

Skill headers use a small part of YAML: ``key: value`` lines, quoted strings,
block scalars (``|``, ``>``) for long descriptions, and one level of nesting
(the ``metadata`` map, or a list). This parser handles exactly that and
reports anything else with the file and line, instead of guessing.
"""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

from ..errors import SkillError, quoted

__all__ = ["parse_front_matter", "split_front_matter"]

_KEY = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_.-]*)\s*:(?:\s+(.*))?$")
_BLOCK = {"|", "|-", "|+", ">", ">-", ">+"}


def split_front_matter(text: str, source: str = "SKILL.md") -> tuple[dict[str, Any], str]:
    """``(header, body)`` of a document that starts with a ``---`` fenced front matter block."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        raise SkillError(
            f"{source}: must start with a front matter block: a '---' line, 'name: ...' and "
            "'description: ...' lines, and a closing '---' line"
        )
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            break
    else:
        raise SkillError(f"{source}: the front matter opened on line 1 is never closed with '---'")
    header = parse_front_matter(lines[1:end], source, first_line=2)
    body = "\n".join(lines[end + 1 :]).strip("\n")
    return header, body


def parse_front_matter(
    lines: list[str], source: str = "SKILL.md", first_line: int = 1
) -> dict[str, Any]:
    """Parse front matter *lines* (without the ``---`` fences) into a dict."""
    result: dict[str, Any] = {}
    i = 0
    while i < len(lines):
        raw = lines[i].rstrip()
        where = f"{source}, line {first_line + i}"
        if not raw.strip() or raw.lstrip().startswith("#"):
            i += 1
            continue
        if raw[0] in " \t":
            raise SkillError(f"{where}: unexpected indentation in {quoted(raw.strip())}")
        match = _KEY.match(raw)
        if not match:
            raise SkillError(f"{where}: expected 'key: value', got {quoted(raw)}")
        key, value = match.group(1), (match.group(2) or "").strip()
        if key in result:
            raise SkillError(f"{where}: {quoted(key)} is given twice")
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or lines[j][0] in " \t"):
            j += 1
        block = [line.rstrip() for line in lines[i + 1 : j]]
        while block and not block[-1].strip():
            block.pop()
        if value in _BLOCK:
            result[key] = _block_scalar(value, block)
        elif value.startswith("#") or not value:
            result[key] = _nested(block, where) if block else ""
        else:
            if block:  # a plain scalar continued on indented lines folds into one line
                value = " ".join([value, *(line.strip() for line in block if line.strip())])
            result[key] = _scalar(value, where)
        i = j
    return result


def _scalar(value: str, where: str) -> str:
    if value.startswith('"'):
        try:
            decoded = json.loads(value)
        except ValueError:
            raise SkillError(
                f"{where}: unterminated or malformed double-quoted string {quoted(value)}"
            ) from None
        return str(decoded)
    if value.startswith("'"):
        if len(value) < 2 or not value.endswith("'"):
            raise SkillError(f"{where}: unterminated single-quoted string {quoted(value)}")
        return value[1:-1].replace("''", "'")
    return re.split(r"\s+#", value, maxsplit=1)[0].strip()


def _block_scalar(indicator: str, block: list[str]) -> str:
    lines = textwrap.dedent("\n".join(block)).split("\n")
    if indicator.startswith("|"):
        text = "\n".join(lines)
    else:  # folded: lines join with spaces, blank lines stay line breaks
        paragraphs: list[str] = []
        current: list[str] = []
        for line in lines:
            if line.strip():
                current.append(line.strip())
            else:
                paragraphs.append(" ".join(current))
                current = []
        paragraphs.append(" ".join(current))
        text = "\n".join(paragraphs)
    if indicator.endswith("-"):
        return text.rstrip("\n")
    return text.rstrip("\n") + "\n"


def _nested(block: list[str], where: str) -> dict[str, str] | list[str]:
    lines = [line for line in textwrap.dedent("\n".join(block)).split("\n") if line.strip()]
    if all(line.startswith("- ") or line == "-" for line in lines):
        return [_scalar(line[1:].strip(), where) for line in lines]
    mapping: dict[str, str] = {}
    for line in lines:
        match = _KEY.match(line)
        if line[0] in " \t" or not match:
            raise SkillError(
                f"{where}: only one level of 'key: value' nesting is supported, "
                f"got {quoted(line.strip())}"
            )
        key, value = match.group(1), (match.group(2) or "").strip()
        if key in mapping:
            raise SkillError(f"{where}: {quoted(key)} is given twice")
        mapping[key] = _scalar(value, where)
    return mapping
