"""aimu-anthropic: Claude models through Anthropic's Messages API (``anthropic:<model>``).

Importing this module is cheap: it declares the catalog and the provider
record; the ``anthropic`` SDK is imported only when a client is built
(:mod:`aimu_anthropic.client`).
"""

from __future__ import annotations

from aimu_core.provider import TextProvider, hookimpl

from .models import AnthropicModel

__all__ = ["AIMU_PLUGIN_API", "AnthropicModel", "aimu_text_providers"]

AIMU_PLUGIN_API = 1


@hookimpl
def aimu_text_providers() -> list[TextProvider]:
    return [
        TextProvider(
            name="anthropic",
            client="aimu_anthropic.client:AnthropicClient",
            async_client="aimu_anthropic.client:AsyncAnthropicClient",
            models=AnthropicModel,
            needs=("env:ANTHROPIC_API_KEY",),
            description="Anthropic Claude models (Messages API; thinking, tools, vision)",
        )
    ]
