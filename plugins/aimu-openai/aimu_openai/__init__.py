"""aimu-openai: OpenAI, Gemini and every OpenAI-compatible server as aimu text providers.

Model strings:

* ``openai:gpt-4o`` (catalog :class:`OpenAIModel`; ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``)
* ``gemini:gemini-2.5-flash`` (catalog :class:`GeminiModel`; ``GEMINI_API_KEY``)
* ``lmstudio:<id>``, ``vllm:<id>``, ``llamaserver:<id>``, ``sglang:<id>``: a local
  server on its default port, or ``@http://host:port/v1``; add ``;tools,thinking,vision``
* ``openai-compat:<id>@http://host:port/v1;flags``: any other OpenAI-compatible URL

This module is what aimu imports to list the plugin, so it stays cheap: the
openai SDK is imported only by :mod:`aimu_openai.client`, when a client is built.
"""

from __future__ import annotations

from aimu_core.hookspecs import hookimpl
from aimu_core.records import TextProvider

from . import _endpoints
from .models import GeminiModel, OpenAIModel

__all__ = ["AIMU_PLUGIN_API", "GeminiModel", "OpenAIModel", "aimu_text_providers"]

AIMU_PLUGIN_API = 1

_CLIENTS = "aimu_openai.client"

#: Local servers are tried after a running Ollama and the embedded llama.cpp model.
_LOCAL_DISCOVER_PRIORITY = 60

# name -> (sync class, async class, default URL, description)
_LOCAL_SERVERS: dict[str, tuple[str, str, str, str]] = {
    "lmstudio": (
        "LMStudioClient",
        "AsyncLMStudioClient",
        _endpoints.LMSTUDIO_URL,
        "LM Studio's local server",
    ),
    "vllm": ("VLLMClient", "AsyncVLLMClient", _endpoints.VLLM_URL, "a vLLM server"),
    "llamaserver": (
        "LlamaServerClient",
        "AsyncLlamaServerClient",
        _endpoints.LLAMASERVER_URL,
        "llama.cpp's llama-server",
    ),
    "sglang": ("SGLangClient", "AsyncSGLangClient", _endpoints.SGLANG_URL, "an SGLang server"),
}


@hookimpl
def aimu_text_providers() -> list[TextProvider]:
    records = [
        TextProvider(
            name="openai",
            client=f"{_CLIENTS}:OpenAIClient",
            async_client=f"{_CLIENTS}:AsyncOpenAIClient",
            models=OpenAIModel,
            default_base_url=_endpoints.OPENAI_URL,
            needs=("env:OPENAI_API_KEY",),
            description="OpenAI's Chat Completions API (GPT-4o, GPT-4.1, o-series, GPT-5)",
        ),
        TextProvider(
            name="gemini",
            client=f"{_CLIENTS}:GeminiClient",
            async_client=f"{_CLIENTS}:AsyncGeminiClient",
            models=GeminiModel,
            default_base_url=_endpoints.GEMINI_URL,
            needs=("env:GEMINI_API_KEY",),
            description="Google Gemini through its OpenAI-compatible endpoint",
        ),
    ]
    for name, (sync_cls, async_cls, url, what) in _LOCAL_SERVERS.items():
        records.append(
            TextProvider(
                name=name,
                client=f"{_CLIENTS}:{sync_cls}",
                async_client=f"{_CLIENTS}:{async_cls}",
                open_catalog=True,
                accepts_base_url=True,
                default_base_url=url,
                discover=_endpoints.discoverer(url),
                discover_priority=_LOCAL_DISCOVER_PRIORITY,
                description=f"Models served by {what} (default {url})",
            )
        )
    records.append(
        TextProvider(
            name="openai-compat",
            client=f"{_CLIENTS}:OpenAICompatClient",
            async_client=f"{_CLIENTS}:AsyncOpenAICompatClient",
            open_catalog=True,
            accepts_base_url=True,
            requires_base_url=True,
            description="Any OpenAI-compatible server: openai-compat:<model>@http://host:port/v1",
        )
    )
    return records
