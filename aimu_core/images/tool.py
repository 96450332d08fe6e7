"""The ``generate_image`` tool: lets any agent draw, registered by core's built-in plugin.

``aimu_core.tools.get("generate_image", model="hf:stabilityai/sd-turbo")`` binds
it to an image model (``AIMU_IMAGE_MODEL`` when no model is given, so a bare
``tools=["generate_image"]`` works once that is set). The model calling it
gets back where the image is, a file path (the default) or a data URL, to cite
in its answer.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Literal

from ..errors import ConfigurationError, ToolArgumentError
from ..tools.decorator import tool

__all__ = ["MAX_TOOL_IMAGES", "generate_image_tool"]

#: The most images one tool call may ask for (a model looping on "more" costs time or money).
MAX_TOOL_IMAGES = 4


def generate_image_tool(
    model: Any = None,
    *,
    format: Literal["path", "data_url"] = "path",
    output_dir: str | os.PathLike[str] | None = None,
    generate_kwargs: Mapping[str, Any] | None = None,
    **options: Any,
) -> Callable[..., str]:
    """The ``generate_image`` tool bound to an image *model*.

    Args:
        model: an image model string, member or spec; ``AIMU_IMAGE_MODEL`` when omitted.
        format: what the tool returns per image: ``"path"`` (a PNG file in
            *output_dir*) or ``"data_url"`` (large: it goes into the conversation).
        output_dir: where images are written (see ``BaseImageClient``).
        generate_kwargs: kwargs for every image (``steps``, ``width`` ...).
        options: the image provider's options (``api_key`` ...).

    Raises:
        ConfigurationError: no image model, or *format* is neither ``"path"`` nor
            ``"data_url"`` (raised here, when the tool is bound, not mid-run).
    """
    if format not in ("path", "data_url"):
        raise ConfigurationError(
            f"the generate_image tool returns 'path' or 'data_url', not {format!r}"
        )
    from .client import ImageClient

    client = ImageClient(model, output_dir=output_dir, **options)
    kwargs = dict(generate_kwargs or {})

    @tool
    def generate_image(prompt: str, num_images: int = 1) -> str:
        """Generate an image from a text description; returns where each image is.

        Args:
            prompt: a detailed description of the picture: subject, style, colours, setting.
            num_images: how many different images to make (1 to 4).
        """
        if not 1 <= num_images <= MAX_TOOL_IMAGES:
            raise ToolArgumentError(f"num_images must be 1 to {MAX_TOOL_IMAGES}")
        images = client.generate(
            prompt, num_images=num_images, format=format, generate_kwargs=kwargs
        )
        return "\n".join(str(image) for image in images)

    return generate_image
