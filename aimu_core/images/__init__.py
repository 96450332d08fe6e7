"""Image generation: the client contract, the factory, image model specs.

The image side mirrors the text side (:mod:`aimu_core.models`) one for one,
and stays apart from it: an image client has no messages, chat or tools.
Names load on first use, so a plugin module that only declares its catalog
(``from aimu_core.images import ImageModel, ImageSpec``) imports just ``spec``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

_LAZY = {
    "AdHocImageModel": "spec",
    "ImageModel": "spec",
    "ImageSpec": "spec",
    "FORMATS": "base",
    "IMAGE_KWARGS": "base",
    "AsyncBaseImageClient": "base",
    "BaseImageClient": "base",
    "ImageFormat": "base",
    "OnStep": "base",
    "StreamAbandoned": "base",
    "ThreadedAsyncImageClient": "base",
    "AsyncImageClient": "client",
    "ImageClient": "client",
    "async_generate_image": "client",
    "async_image_client": "client",
    "resolve_image_model": "client",
    "ResolvedImageModel": "resolve",
    "default_image_model_string": "resolve",
    "resolve_image_model_string": "resolve",
}

__all__ = sorted([*_LAZY, "generate_image", "image_client"])

if TYPE_CHECKING:
    from ..models.stream import StreamChunk
    from .base import (
        FORMATS,
        IMAGE_KWARGS,
        AsyncBaseImageClient,
        BaseImageClient,
        ImageFormat,
        OnStep,
        StreamAbandoned,
        ThreadedAsyncImageClient,
    )
    from .client import (
        AsyncImageClient,
        ImageClient,
        async_generate_image,
        async_image_client,
        resolve_image_model,
    )
    from .resolve import (
        ResolvedImageModel,
        default_image_model_string,
        resolve_image_model_string,
    )
    from .spec import AdHocImageModel, ImageModel, ImageSpec


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'aimu_core.images' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


def image_client(model: Any = None, **options: Any) -> ImageClient:
    """An image client for *model* (string, catalog member or spec; ``AIMU_IMAGE_MODEL``
    when omitted). Provider options (``api_key``, ``output_dir`` ...) go to the provider."""
    from .client import ImageClient

    return ImageClient(model, **options)


def generate_image(
    prompt: str,
    *,
    model: Any = None,
    num_images: int = 1,
    format: ImageFormat = "pil",
    reference_image: Any = None,
    generate_kwargs: Mapping[str, Any] | None = None,
    stream: bool = False,
    **options: Any,
) -> Any | list[Any] | Iterator[StreamChunk]:
    """One-shot generation on a fresh client: one image in *format* (a list when
    ``num_images > 1``), or with ``stream=True`` the chunks of
    :meth:`BaseImageClient.generate`."""
    result = image_client(model, **options).generate(
        prompt,
        num_images=num_images,
        format=format,
        reference_image=reference_image,
        generate_kwargs=generate_kwargs,
        stream=stream,
    )
    if stream or num_images > 1:
        return result
    return result[0]
