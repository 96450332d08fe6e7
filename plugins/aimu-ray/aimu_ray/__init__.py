"""aimu-ray: run ``Benchmark`` and ``Parallel`` on a Ray cluster.

:class:`RayExecutor` is a ``concurrent.futures.Executor``: pass it as
``executor=`` and each row (or worker) runs as a Ray task in a worker process,
on this machine or across a cluster. What is shipped is a model string and
options (a :class:`~aimu_core.agents.recipe.ClientRecipe`), never a client or a
secret: each worker builds its clients and reads its keys from its own
environment.

``import aimu_ray`` is cheap: Ray is imported when an executor is made. This
distribution contributes no plugin hook, so it declares no entry point.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {"RayExecutor": "executor"}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:
    from .executor import RayExecutor


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value
