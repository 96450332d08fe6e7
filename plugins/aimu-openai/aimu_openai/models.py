"""The model catalogs of the ``openai:`` and ``gemini:`` providers.

Only hosted APIs have a catalog: their model ids and capabilities are known
in advance. Local servers (LM Studio, vLLM, llama-server, SGLang) and the
generic ``openai-compat:`` serve whatever model was loaded, so their model
strings carry capability flags instead (``vllm:Qwen/Qwen3-8B;tools,thinking``).

A model missing from a catalog can still be used with flags:
``openai:gpt-9;tools,vision``.
"""

from __future__ import annotations

from aimu_core.provider import Model, ModelSpec

__all__ = ["GeminiModel", "OpenAIModel"]


class OpenAIModel(Model):
    """OpenAI's chat models (Chat Completions API).

    ``thinking`` marks reasoning models (o-series, GPT-5): they reason before
    answering, take ``max_completion_tokens`` and reject sampling settings,
    which the client drops with a warning. OpenAI does not return their
    reasoning text through Chat Completions, so ``last_thinking`` stays empty.
    """

    GPT_4O = ModelSpec("gpt-4o", tools=True, vision=True)
    GPT_4O_MINI = ModelSpec("gpt-4o-mini", tools=True, vision=True)
    GPT_4_1 = ModelSpec("gpt-4.1", tools=True, vision=True)
    GPT_4_1_MINI = ModelSpec("gpt-4.1-mini", tools=True, vision=True)
    GPT_4_1_NANO = ModelSpec("gpt-4.1-nano", tools=True, vision=True)
    O1 = ModelSpec("o1", tools=True, thinking=True, vision=True)
    O3 = ModelSpec("o3", tools=True, thinking=True, vision=True)
    O3_MINI = ModelSpec("o3-mini", tools=True, thinking=True)
    O4_MINI = ModelSpec("o4-mini", tools=True, thinking=True, vision=True)
    GPT_5 = ModelSpec("gpt-5", tools=True, thinking=True, vision=True)
    GPT_5_MINI = ModelSpec("gpt-5-mini", tools=True, thinking=True, vision=True)
    GPT_5_NANO = ModelSpec("gpt-5-nano", tools=True, thinking=True, vision=True)


class GeminiModel(Model):
    """Google's Gemini models, through the Gemini API's OpenAI-compatible endpoint."""

    GEMINI_2_0_FLASH = ModelSpec("gemini-2.0-flash", tools=True, vision=True)
    GEMINI_2_0_FLASH_LITE = ModelSpec("gemini-2.0-flash-lite", tools=True, vision=True)
    GEMINI_2_5_PRO = ModelSpec("gemini-2.5-pro", tools=True, thinking=True, vision=True)
    GEMINI_2_5_FLASH = ModelSpec("gemini-2.5-flash", tools=True, thinking=True, vision=True)
    GEMINI_2_5_FLASH_LITE = ModelSpec(
        "gemini-2.5-flash-lite", tools=True, thinking=True, vision=True
    )
    GEMINI_3_PRO_PREVIEW = ModelSpec("gemini-3-pro-preview", tools=True, thinking=True, vision=True)
    GEMINI_3_FLASH_PREVIEW = ModelSpec(
        "gemini-3-flash-preview", tools=True, thinking=True, vision=True
    )
