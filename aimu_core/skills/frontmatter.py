"""Reading a ``SKILL.md`` front matter block: YAML, through PyYAML's safe loader.

Skills written for other agent tools use all of YAML (block scalars, flow
lists, anchors, comments), so the header is read by a real YAML parser; the
safe loader builds only plain data (no Python objects). What this module adds
is the error a skill author can act on: the file and the line (counted in the
whole file, not in the block), and what is wrong there. A key given twice is
an error here (YAML parsers silently keep the last one), and a front matter
longer than :data:`MAX_FRONT_MATTER` characters is refused before parsing.
"""

from __future__ import annotations

from typing import Any

from ..errors import SkillError, clipped, quoted

__all__ = ["MAX_FRONT_MATTER", "parse_front_matter", "split_front_matter"]

#: Characters a front matter block may hold: a header, not a document (YAML parsing
#: in pure Python is slow on huge input).
MAX_FRONT_MATTER = 64 * 1024


def split_front_matter(text: str, source: str = "SKILL.md") -> tuple[dict[str, Any], str]:
    """``(header, body)`` of a document that starts with a ``---`` fenced front matter block."""
    # Lines end at \n (or \r\n) only: str.splitlines() would also cut inside a value holding
    # U+2028 or U+0085, which YAML handles itself.
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
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
    """Parse front matter *lines* (without the ``---`` fences) into a dict.

    Raises:
        SkillError: naming *source* and the line (*first_line* is the number
            of ``lines[0]`` in the file) of malformed YAML, a duplicate key, a
            header that is not a mapping, or one too long.
    """
    import yaml

    text = "\n".join(lines)
    if len(text) > MAX_FRONT_MATTER:
        raise SkillError(
            f"{source}: the front matter is {len(text)} characters long; the limit is "
            f"{MAX_FRONT_MATTER}. Move long text into the body, after the closing '---'."
        )
    try:
        data = yaml.load(text, Loader=_loader())
    except yaml.MarkedYAMLError as exc:
        mark = exc.context_mark or exc.problem_mark  # where the broken construct starts
        where = f"{source}, line {first_line + mark.line}" if mark else source
        problem = " ".join(part for part in (exc.context, exc.problem) if part)
        raise SkillError(f"{where}: {clipped(problem or 'malformed YAML', 200)}") from None
    except yaml.YAMLError as exc:
        raise SkillError(
            f"{source}: the front matter is not valid YAML ({clipped(str(exc))})"
        ) from None
    except RecursionError:
        raise SkillError(f"{source}: the front matter is nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SkillError(
            f"{source}, line {first_line}: the front matter must be 'key: value' lines, "
            f"got a {type(data).__name__}"
        )
    return {str(key): value for key, value in data.items()}


_LOADER: Any = None


def _loader() -> Any:
    """PyYAML's safe loader (the C one when libyaml is there), refusing duplicate keys."""
    global _LOADER
    if _LOADER is None:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        class UniqueKeySafeLoader(base):  # type: ignore[misc, valid-type]
            def construct_mapping(self, node: Any, deep: bool = False) -> Any:
                seen: set[Any] = set()
                for key_node, _ in node.value:
                    key = self.construct_object(key_node, deep=deep)
                    try:
                        duplicate = key in seen
                        seen.add(key)
                    except TypeError:  # an unhashable key: the base class says so
                        break
                    if duplicate:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"{quoted(key)} is given twice", key_node.start_mark
                        )
                return super().construct_mapping(node, deep)

        _LOADER = UniqueKeySafeLoader
    return _LOADER
