"""aimu-hf: Hugging Face models in this process.

One distribution, three parts, each importing its heavy library only when a
model of that kind is first used (``import aimu_hf`` imports none of them):

- text models on transformers (``hf:`` in the text namespace),
- image pipelines on diffusers (``hf:`` in the image namespace),
- embeddings on sentence-transformers.
"""

from __future__ import annotations

from aimu_core.provider import TextProvider, hookimpl

from .text_models import HuggingFaceModel

__all__ = ["AIMU_PLUGIN_API", "HuggingFaceModel"]

AIMU_PLUGIN_API = 1


@hookimpl
def aimu_text_providers() -> list:
    return [
        TextProvider(
            name="hf",
            client="aimu_hf.text:HuggingFaceClient",
            models=HuggingFaceModel,
            open_catalog=True,
            description="Hugging Face transformers text models in this process (hub ids or local dirs)",
        ),
        _embedding_record(),
    ]


def _embedding_record() -> TextProvider:
    """``hf:`` in the embedding namespace: sentence-transformers models (aimu_hf.embeddings)."""
    from .embedding_models import HuggingFaceEmbeddingModel, discover_embeddings

    return TextProvider(
        name="hf",
        embedding_client="aimu_hf.embeddings:HuggingFaceEmbeddingClient",
        embedding_models=HuggingFaceEmbeddingModel,
        embedding_discover=discover_embeddings,
        discover_priority=10,
        open_catalog=True,
        description="sentence-transformers embedding models in this process (hub ids or local dirs)",
    )


@hookimpl
def aimu_image_providers() -> list:
    from aimu_core.provider import ImageProvider

    from .image_models import HuggingFaceImageModel

    return [
        ImageProvider(
            name="hf",
            client="aimu_hf.images:HuggingFaceImageClient",
            models=HuggingFaceImageModel,
            open_catalog=True,
            description="diffusers image pipelines in this process (hub ids or local pipeline dirs)",
        )
    ]
