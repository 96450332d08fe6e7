"""The Claude models aimu knows, with their capabilities.

Any other id works too, written with its capabilities:
``anthropic:claude-future-1;tools,thinking,vision``.
"""

from __future__ import annotations

from aimu_core.provider import Model, ModelSpec

__all__ = ["AnthropicModel"]


class AnthropicModel(Model):
    """Anthropic's catalog: ``anthropic:<id>``."""

    CLAUDE_OPUS_4_6 = ModelSpec("claude-opus-4-6", tools=True, thinking=True, vision=True)
    CLAUDE_SONNET_4_6 = ModelSpec("claude-sonnet-4-6", tools=True, thinking=True, vision=True)
    CLAUDE_OPUS_4_5 = ModelSpec("claude-opus-4-5", tools=True, thinking=True, vision=True)
    CLAUDE_SONNET_4_5 = ModelSpec("claude-sonnet-4-5", tools=True, thinking=True, vision=True)
    CLAUDE_HAIKU_4_5 = ModelSpec("claude-haiku-4-5", tools=True, vision=True)
