"""aimu-core: a slim, plugin-based core for applications on language and image models.

Importing this package is cheap: it imports no provider SDK and no plugin.
Names below load on first use; plugins are discovered when a model is first
resolved (see :mod:`aimu_core.plugins`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "AimuError": "aimu_core.errors",
    "BaseModelClient": "aimu_core.models",
    "FallbackClient": "aimu_core.models.fallback",
    "ImageProvider": "aimu_core.records",
    "MemoryBackend": "aimu_core.records",
    "Model": "aimu_core.models",
    "ModelClient": "aimu_core.models",
    "ModelSpec": "aimu_core.models",
    "Phase": "aimu_core.models",
    "RunnerRecord": "aimu_core.records",
    "StreamChunk": "aimu_core.models",
    "TextProvider": "aimu_core.records",
    "ToolRecord": "aimu_core.records",
    "embed": "aimu_core.embeddings",
    "embedding_client": "aimu_core.embeddings",
    "generate_image": "aimu_core.images",
    "hookimpl": "aimu_core.hookspecs",
    "image_client": "aimu_core.images",
    "ImageClient": "aimu_core.images",
    "ImageModel": "aimu_core.images",
    "ImageSpec": "aimu_core.images",
    "resolve_model_string": "aimu_core.models",
    "tool": "aimu_core.tools",
}

__all__ = sorted([*_LAZY, "chat", "client", "__version__"])

if TYPE_CHECKING:
    from .embeddings import embed, embedding_client
    from .errors import AimuError
    from .hookspecs import hookimpl
    from .images import ImageClient, ImageModel, ImageSpec, generate_image, image_client
    from .models import (
        BaseModelClient,
        Model,
        ModelClient,
        ModelSpec,
        Phase,
        StreamChunk,
        resolve_model_string,
    )
    from .records import ImageProvider, MemoryBackend, RunnerRecord, TextProvider, ToolRecord
    from .tools import tool


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'aimu_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def client(model: Any = None, *, system: str | None = None, **options: Any) -> ModelClient:
    """A client for *model* (string, catalog member or spec; the default model when omitted).

    Provider options (``base_url``, ``api_key``, ``timeout`` ...) go to the
    provider's client.
    """
    from .models import ModelClient

    if system is not None:
        options["system_message"] = system
    return ModelClient(model, **options)


def chat(
    message: str,
    *,
    model: Any = None,
    system: str | None = None,
    generate_kwargs: Mapping[str, Any] | None = None,
    stream: bool = False,
    images: Iterable[Any] | None = None,
    include: Iterable[str] | str | None = None,
    **options: Any,
) -> str | Iterator[StreamChunk]:
    """One-shot chat on a fresh client, without tools: the answer, or a stream of chunks."""
    return client(model, system=system, **options).chat(
        message,
        generate_kwargs=generate_kwargs,
        use_tools=False,
        stream=stream,
        images=images,
        include=include,
    )
