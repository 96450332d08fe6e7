"""``store("backend:location")``: open a memory store through the ``aimu_memory_backends`` hook.

Backends are found like providers: the plugin that contributes one is loaded
under the same policy (allow/deny lists, autoload switch) and isolation rules,
and an unknown, blocked or failed backend is an error naming the cause and the
plugin to install. A backend record's ``backend`` is the import path of a
:class:`~aimu_core.memory.MemoryStore` subclass, built as ``cls(location, **options)``.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigurationError, PluginError, quoted
from ..records import MemoryBackend, load_object
from .base import MemoryStore

__all__ = ["available", "backend_record", "store"]


def _manager() -> Any:
    from ..plugins import get_manager  # the plugin machinery loads on first use

    return get_manager()


def available() -> dict[str, MemoryBackend]:
    """Every loaded memory backend by name (``aimu memory`` lists them)."""
    return dict(sorted(_manager().memory_backends.items()))


def backend_record(name: str) -> MemoryBackend:
    """The record of backend *name*, or an error naming the fix (unknown, blocked, failed)."""
    record: MemoryBackend = _manager().memory_backend(name)
    return record


def store(spec: str, **options: Any) -> MemoryStore:
    """Open the memory store *spec* names: ``"documents:./notes"``, ``"chroma:./memdir"``.

    *options* go to the backend's constructor (``embedder=`` for ``chroma``).
    """
    if not isinstance(spec, str) or ":" not in spec:
        raise ConfigurationError(
            f"a memory store is named 'backend:location', e.g. 'documents:./notes' or "
            f"'chroma:./memdir'; got {quoted(spec)}"
        )
    name, _, location = spec.partition(":")
    record = backend_record(name)
    try:
        cls: Any = load_object(record.backend)
    except Exception as exc:  # the plugin's module is broken: say which plugin
        raise PluginError(
            f"memory backend {quoted(name)} could not be loaded from {record.backend}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, MemoryStore)):
        raise PluginError(
            f"memory backend {quoted(name)}: {record.backend} is not a MemoryStore subclass"
        )
    build: Any = cls  # a MemoryStore subclass, built as cls(location, **options)
    instance: MemoryStore = build(location or ".", **options)
    return instance
