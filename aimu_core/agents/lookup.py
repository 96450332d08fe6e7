"""Runners by name: the ``aimu_runners`` hook's records, looked up and imported.

``aimu_core.agents.get("chain")`` is the ``Chain`` class; a third-party
runner plugin's runners are found the same way. Nothing is imported until a
runner is asked for.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigurationError, quoted

__all__ = ["available", "get"]


def available() -> dict[str, Any]:
    """Every runner record by name (``aimu runners`` lists them with their plugin)."""
    from ..plugins import get_manager

    return dict(sorted(get_manager().runners.items()))


def get(name: str, *, asynchronous: bool = False) -> type[Any]:
    """The runner class registered as *name* (its ``aimu_core.aio`` twin with ``asynchronous``).

    Raises:
        UnknownProviderError: no loaded plugin registers *name* (close matches are named).
        ConfigurationError: *asynchronous* and the runner has no async twin.
    """
    from ..plugins import get_manager
    from ..records import load_object

    if not isinstance(name, str):
        raise ConfigurationError(f"a runner name must be a string, got {type(name).__name__}")
    record = get_manager().runner(name)
    path = record.async_runner if asynchronous else record.runner
    if path is None:
        raise ConfigurationError(
            f"runner {quoted(name)} has no async twin; use the sync one (asynchronous=False)"
        )
    runner = load_object(path)
    from .runner import AsyncRunner, Runner

    base = AsyncRunner if asynchronous else Runner
    if not (isinstance(runner, type) and issubclass(runner, base)):
        owner = get_manager().owner("runners", name)
        raise ConfigurationError(
            f"runner {quoted(name)} of plugin {owner.label if owner else '?'} names {path}, "
            f"which is not an aimu_core {'aio.' if asynchronous else ''}Runner subclass"
        )
    return runner
