"""A small curated catalog of Ollama models, with their capabilities.

Ollama runs whatever the user pulled, so the catalog is open: any other tag
works as ``ollama:<tag>``, with capabilities declared as flags when it has
some (``ollama:my-model:7b;tools,thinking``).
"""

from __future__ import annotations

from aimu_core.provider import Model, ModelSpec

__all__ = ["OllamaModel"]


class OllamaModel(Model):
    """Ollama models aimu knows: ``ollama:<tag>``."""

    LLAMA3_2 = ModelSpec("llama3.2", tools=True)
    LLAMA3_1_8B = ModelSpec("llama3.1:8b", tools=True)
    QWEN3_8B = ModelSpec("qwen3:8b", tools=True, thinking=True)
    QWEN3_4B = ModelSpec("qwen3:4b", tools=True, thinking=True)
    QWEN2_5_7B = ModelSpec("qwen2.5:7b", tools=True)
    GPT_OSS_20B = ModelSpec("gpt-oss:20b", tools=True, thinking=True)
    MISTRAL = ModelSpec("mistral", tools=True)
    DEEPSEEK_R1_8B = ModelSpec("deepseek-r1:8b", thinking=True)
    GEMMA3 = ModelSpec("gemma3", vision=True)
    GEMMA3_1B = ModelSpec("gemma3:1b")
    QWEN2_5VL_7B = ModelSpec("qwen2.5vl:7b", tools=True, vision=True)
    LLAMA3_2_VISION = ModelSpec("llama3.2-vision", vision=True)
    LLAVA = ModelSpec("llava", vision=True)
