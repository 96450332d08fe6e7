"""Text models: the client contract, the factory, model specs and streaming types.

Names load on first use: a plugin module that only declares its catalog
(``from aimu_core.models import Model, ModelSpec``) imports just ``spec``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "CAPABILITIES": "spec",
    "AdHocModel": "spec",
    "Model": "spec",
    "ModelSpec": "spec",
    "AsyncBaseModelClient": "base",
    "BaseModelClient": "base",
    "AsyncModelClient": "client",
    "ModelClient": "client",
    "Delta": "delta",
    "ToolCallAccumulator": "delta",
    "ToolCallDelta": "delta",
    "PORTABLE_KWARGS": "generate_kwargs",
    "ResolvedModel": "resolve",
    "default_model_string": "resolve",
    "resolve_model_string": "resolve",
    "Phase": "stream",
    "StreamChunk": "stream",
    "ThinkSplitter": "thinking",
}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:
    from .base import AsyncBaseModelClient, BaseModelClient
    from .client import AsyncModelClient, ModelClient
    from .delta import Delta, ToolCallAccumulator, ToolCallDelta
    from .generate_kwargs import PORTABLE_KWARGS
    from .resolve import ResolvedModel, default_model_string, resolve_model_string
    from .spec import CAPABILITIES, AdHocModel, Model, ModelSpec
    from .stream import Phase, StreamChunk
    from .thinking import ThinkSplitter


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'aimu_core.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value
