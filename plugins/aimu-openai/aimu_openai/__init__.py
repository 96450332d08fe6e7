"""aimu-openai: OpenAI, Gemini and every OpenAI-compatible server as aimu text providers.

Model strings:

* ``openai:gpt-4o`` (catalog :class:`OpenAIModel`; ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``)
* ``gemini:gemini-2.5-flash`` (catalog :class:`GeminiModel`; ``GEMINI_API_KEY``)
* ``lmstudio:<id>``, ``vllm:<id>``, ``llamaserver:<id>``, ``sglang:<id>``: a local
  server on its default port, or ``@http://host:port/v1``; add ``;tools,thinking,vision``
* ``openai-compat:<id>@http://host:port/v1;flags``: any other OpenAI-compatible URL

Each provider is one row of :data:`aimu_openai._endpoints.ENDPOINTS`; the hook
turns the rows into records. This module is what aimu imports to list the
plugin, so it stays cheap: the openai SDK is imported only by
:mod:`aimu_openai.client`, when a client is built.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from aimu_core.provider import TextProvider, hookimpl

from ._endpoints import ENDPOINTS, Endpoint, discover_at
from .embedding_models import EMBEDDING_CATALOGS
from .models import GeminiModel, OpenAIModel

__all__ = ["AIMU_PLUGIN_API", "GeminiModel", "OpenAIModel", "aimu_text_providers"]

AIMU_PLUGIN_API = 1

#: Local servers are tried after a running Ollama and the embedded llama.cpp model.
_LOCAL_DISCOVER_PRIORITY = 60


@hookimpl
def aimu_text_providers() -> list[TextProvider]:
    return [_record(endpoint) for endpoint in ENDPOINTS.values()]


def _record(endpoint: Endpoint) -> TextProvider:
    # A server without a catalog serves whatever it loaded: any id, and @url to find it.
    local = endpoint.catalog is None
    discovery: dict[str, Any] = {}
    if endpoint.discover and endpoint.base_url:
        discover = partial(discover_at, endpoint.base_url)
        discovery = {"discover": discover, "discover_priority": _LOCAL_DISCOVER_PRIORITY}
    return TextProvider(
        name=endpoint.name,
        client=f"aimu_openai.client:{endpoint.classes}Client",
        async_client=f"aimu_openai.client:Async{endpoint.classes}Client",
        models=endpoint.catalog,
        open_catalog=local,
        accepts_base_url=local,
        requires_base_url=endpoint.base_url is None,
        default_base_url=endpoint.base_url,
        needs=(f"env:{endpoint.key_envs[0]}",) if endpoint.requires_key else (),
        description=endpoint.description,
        embedding_client=f"aimu_openai.embeddings:{endpoint.classes}EmbeddingClient",
        async_embedding_client=f"aimu_openai.embeddings:Async{endpoint.classes}EmbeddingClient",
        embedding_models=EMBEDDING_CATALOGS.get(endpoint.name),
        **discovery,
    )
