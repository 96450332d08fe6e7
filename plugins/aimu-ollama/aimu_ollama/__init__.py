"""aimu-ollama: models served by Ollama (``ollama:<tag>``), local or remote.

Importing this module is cheap: it declares the catalog, the provider record
and :func:`discover`; the ``ollama`` SDK is imported only when a client is
built (:mod:`aimu_ollama.client`).
"""

from __future__ import annotations

from aimu_core.provider import TextProvider, hookimpl

from ._discover import discover
from ._host import DEFAULT_HOST
from .models import OllamaModel

__all__ = ["AIMU_PLUGIN_API", "OllamaModel", "aimu_text_providers", "discover"]

AIMU_PLUGIN_API = 1


@hookimpl
def aimu_text_providers() -> list[TextProvider]:
    return [
        TextProvider(
            name="ollama",
            client="aimu_ollama.client:OllamaClient",
            async_client="aimu_ollama.client:AsyncOllamaClient",
            models=OllamaModel,
            open_catalog=True,
            accepts_base_url=True,
            default_base_url=DEFAULT_HOST,
            needs=("a running Ollama server (OLLAMA_HOST)",),
            discover=discover,
            discover_priority=10,
            description="Ollama models (local server; thinking, tools, vision)",
            embedding_client="aimu_ollama.embeddings:OllamaEmbeddingClient",
            async_embedding_client="aimu_ollama.embeddings:AsyncOllamaEmbeddingClient",
        )
    ]
