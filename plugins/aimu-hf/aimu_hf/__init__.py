"""aimu-hf: Hugging Face models in this process.

One distribution, three parts, each importing its heavy library only when a
model of that kind is first used (``import aimu_hf`` imports none of them):

- text models on transformers (``hf:`` in the text namespace),
- image pipelines on diffusers (``hf:`` in the image namespace),
- embeddings on sentence-transformers.
"""

from __future__ import annotations

from aimu_core.provider import hookimpl

__all__ = ["AIMU_PLUGIN_API"]

AIMU_PLUGIN_API = 1


@hookimpl
def aimu_text_providers() -> list:
    return []


@hookimpl
def aimu_image_providers() -> list:
    return []
