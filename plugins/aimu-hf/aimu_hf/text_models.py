"""The catalog of ``hf:`` text models: Hugging Face hub ids whose capabilities are known.

Any other hub id (``hf:org/model;tools``) or a local model directory
(``hf:/path/to/model;tools,thinking``) works too; its capabilities come from
the model string's ``;flags``. Catalog models download into the Hugging Face
cache on first use (``hf download <id>`` beforehand for offline use).
"""

from __future__ import annotations

from aimu_core.provider import Model, ModelSpec

__all__ = ["HuggingFaceModel"]


class HuggingFaceModel(Model):
    """Instruction-tuned models small enough to run in-process, by hub id."""

    QWEN_3_0_6B = ModelSpec("Qwen/Qwen3-0.6B", tools=True, thinking=True)
    QWEN_3_1_7B = ModelSpec("Qwen/Qwen3-1.7B", tools=True, thinking=True)
    QWEN_3_4B = ModelSpec("Qwen/Qwen3-4B", tools=True, thinking=True)
    QWEN_2_5_0_5B_INSTRUCT = ModelSpec("Qwen/Qwen2.5-0.5B-Instruct", tools=True)
    QWEN_2_5_1_5B_INSTRUCT = ModelSpec("Qwen/Qwen2.5-1.5B-Instruct", tools=True)
    SMOLLM2_135M_INSTRUCT = ModelSpec("HuggingFaceTB/SmolLM2-135M-Instruct")
    SMOLLM2_360M_INSTRUCT = ModelSpec("HuggingFaceTB/SmolLM2-360M-Instruct")
    SMOLLM3_3B = ModelSpec("HuggingFaceTB/SmolLM3-3B", tools=True, thinking=True)
    GEMMA_3_270M_IT = ModelSpec("google/gemma-3-270m-it")
    GEMMA_3_1B_IT = ModelSpec("google/gemma-3-1b-it")
    LLAMA_3_2_1B_INSTRUCT = ModelSpec("meta-llama/Llama-3.2-1B-Instruct", tools=True)
    LLAMA_3_2_3B_INSTRUCT = ModelSpec("meta-llama/Llama-3.2-3B-Instruct", tools=True)
    PHI_4_MINI_INSTRUCT = ModelSpec("microsoft/Phi-4-mini-instruct", tools=True)
