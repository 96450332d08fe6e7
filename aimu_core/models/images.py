"""Images in messages: user input (path, bytes, data URL, https URL) to OpenAI content parts.

History stores images the OpenAI way, as ``image_url`` content parts holding a
data URL or an https URL; providers with another wire format convert with
:func:`split_data_url` at request time.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError

__all__ = ["ImageInput", "image_part", "split_data_url", "user_content"]

ImageInput = str | os.PathLike[str] | bytes

_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


def _sniff(data: bytes) -> str:
    for magic, mime in _MAGIC.items():
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise ConfigurationError(
        "Image bytes are not PNG, JPEG, GIF or WebP; pass a file path or a data URL instead"
    )


def image_part(image: ImageInput) -> dict[str, Any]:
    """One OpenAI ``image_url`` content part for a path, raw bytes, a data URL or an http(s) URL."""
    if isinstance(image, bytes):
        url = f"data:{_sniff(image)};base64,{base64.b64encode(image).decode()}"
    elif isinstance(image, str) and image.startswith(("data:", "http://", "https://")):
        if image.startswith("data:"):
            split_data_url(image)  # validate now rather than at the provider
        url = image
    elif isinstance(image, (str, os.PathLike)):
        path = Path(image)
        if not path.is_file():
            raise ConfigurationError(f"Image file {str(path)!r} does not exist")
        data = path.read_bytes()
        guessed = mimetypes.guess_type(path.name)[0]
        # The suffix may lie or say nothing useful (".bin" -> application/octet-stream).
        mime = guessed if guessed and guessed.startswith("image/") else _sniff(data)
        url = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    else:
        raise ConfigurationError(
            f"Unsupported image {type(image).__name__}: pass a path, bytes, a data URL or a URL"
        )
    return {"type": "image_url", "image_url": {"url": url}}


def user_content(text: str, images: Iterable[ImageInput] | None) -> str | list[dict[str, Any]]:
    """A user message's ``content``: the plain text, or text plus image parts."""
    if not images:
        return text
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
    parts.extend(image_part(image) for image in images)
    return parts


def split_data_url(url: str) -> tuple[str, bytes]:
    """``"data:image/png;base64,..."`` -> ``("image/png", b"...")``."""
    header, sep, payload = url.partition(",")
    if not sep or not header.startswith("data:") or not header.endswith(";base64"):
        raise ConfigurationError("Image data URLs must look like 'data:image/png;base64,...'")
    try:
        return header[5:-7], base64.b64decode(payload, validate=True)
    except binascii.Error:
        raise ConfigurationError("Image data URL holds invalid base64") from None
