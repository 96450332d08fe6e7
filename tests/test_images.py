"""Images in user messages: sniffing, paths, URLs, data URLs and their errors."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from aimu_core.errors import ConfigurationError
from aimu_core.models.images import image_part, split_data_url, user_content

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 "


def url_of(part: dict[str, object]) -> str:
    assert part["type"] == "image_url"
    return part["image_url"]["url"]  # type: ignore[index, no-any-return]


@pytest.mark.parametrize(
    "data,mime",
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (b"GIF89a...", "image/gif"), (WEBP, "image/webp")],
)
def test_image_bytes_are_sniffed(data: bytes, mime: str) -> None:
    url = url_of(image_part(data))
    assert url.startswith(f"data:{mime};base64,")
    assert split_data_url(url) == (mime, data)


def test_image_paths(tmp_path: Path) -> None:
    jpg = tmp_path / "photo.jpg"
    jpg.write_bytes(JPEG)
    assert split_data_url(url_of(image_part(jpg))) == ("image/jpeg", JPEG)
    assert split_data_url(url_of(image_part(str(jpg))))[0] == "image/jpeg"
    # a suffix that says nothing about the image: the bytes decide
    for name in ("upload.bin", "noext", "really-a-png.txt"):
        path = tmp_path / name
        path.write_bytes(PNG)
        assert split_data_url(url_of(image_part(path)))[0] == "image/png", name


def test_urls_pass_through_and_data_urls_are_checked() -> None:
    assert url_of(image_part("https://example.com/cat.png")) == "https://example.com/cat.png"
    data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert url_of(image_part(data_url)) == data_url
    with pytest.raises(ConfigurationError, match="invalid base64"):
        image_part("data:image/png;base64,@@@not base64")


@pytest.mark.parametrize(
    "url,message",
    [
        ("data:image/png,rawdata", "must look like"),
        ("image/png;base64,AAAA", "must look like"),
        ("data:image/png;base64", "must look like"),
        ("data:image/png;base64,A", "invalid base64"),
    ],
)
def test_split_data_url_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        split_data_url(url)


def test_image_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        image_part(tmp_path / "missing.png")
    with pytest.raises(ConfigurationError, match="not PNG, JPEG, GIF or WebP"):
        image_part(b"plain text, not an image")
    with pytest.raises(ConfigurationError, match="Unsupported image int"):
        image_part(42)  # type: ignore[arg-type]


def test_user_content() -> None:
    assert user_content("hi", None) == "hi"
    assert user_content("hi", []) == "hi"
    content = user_content("what is this?", [PNG, "https://example.com/x.jpg"])
    assert isinstance(content, list)
    assert content[0] == {"type": "text", "text": "what is this?"}
    assert url_of(content[1]).startswith("data:image/png;base64,")
    assert url_of(content[2]) == "https://example.com/x.jpg"
