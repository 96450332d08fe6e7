"""Tools by name: the ``aimu_tools`` hook's records, looked up and bound.

A tool is named ``word`` (``calculator``) or ``group.word`` (``files.read``);
a group's name selects every tool in it (``"files"``). Names go anywhere a
tool function does: ``client.tools = ["time.now", my_function]``. Records
flagged ``factory`` must be bound first (``files`` needs a folder): their
options go to :func:`get` or :func:`select`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..errors import ConfigurationError, quoted
from .decorator import tool_spec

__all__ = ["available", "get", "resolve", "select"]


def _manager() -> Any:
    from ..plugins import get_manager  # the plugin machinery loads on first lookup

    return get_manager()


def available() -> dict[str, Any]:
    """Every tool record by name (``aimu tools`` lists them with their plugin)."""
    return dict(sorted(_manager().tools.items()))


def _names_in_group(group: str) -> list[str]:
    return [name for name, record in available().items() if record.group == group]


def get(name: str, **options: Any) -> Callable[..., Any]:
    """The ``@tool`` function registered as *name*, bound with *options* if it needs them.

    Raises:
        UnknownProviderError: no loaded plugin registers *name* (close matches are named).
        ConfigurationError: *name* is a group (use :func:`select`), or the options do not fit.
    """
    if not isinstance(name, str):
        raise ConfigurationError(f"a tool name must be a string, got {type(name).__name__}")
    manager = _manager()
    if name not in manager.tools and _names_in_group(name):
        raise ConfigurationError(
            f"{quoted(name)} is a group of tools ({', '.join(_names_in_group(name))}); "
            f"use aimu_core.tools.select({name!r}) for all of them, or name one"
        )
    record = manager.tool(name)
    from ..records import load_object

    target = load_object(record.tool)
    if record.factory:
        fn = target(**options)
    elif options:
        raise ConfigurationError(f"tool {quoted(name)} takes no options, got {sorted(options)}")
    else:
        fn = target
    tool_spec(fn)  # an object that is no tool fails here, naming the plugin's record
    return fn


def select(*names: str, **options: Any) -> list[Callable[..., Any]]:
    """The tools named, a group standing for all of its tools, in order; *options* bind
    those that need binding (tools that take none ignore them)."""
    selected: list[Callable[..., Any]] = []
    records = _manager().tools
    for name in names:
        group = [] if name in records else _names_in_group(name)
        for each in group or [name]:
            factory = each in records and records[each].factory
            selected.append(get(each, **(options if factory else {})))
    return selected


def resolve(tools: Iterable[Any]) -> list[Callable[..., Any]]:
    """*tools* with every name replaced by its tool (groups by all of theirs)."""
    resolved: list[Callable[..., Any]] = []
    for item in tools:
        if isinstance(item, str):
            resolved.extend(select(item))
        else:
            resolved.append(item)
    return resolved
