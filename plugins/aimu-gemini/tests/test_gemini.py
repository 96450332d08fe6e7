"""aimu-gemini on the wire: what the real google-genai SDK sends for each option, how each
kind of reply without an image reads, keys and Vertex mode, async concurrency."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
from typing import Any

import PIL.Image
import pytest
from aimu_gemini.testing import FakeGemini, google_error

import aimu_core
from aimu_core import aio
from aimu_core.errors import (
    AuthenticationError,
    ConfigurationError,
    ContentBlockedError,
    ProviderConnectionError,
    ProviderError,
)
from aimu_core.testing import Response
from aimu_core.testing.secrets import assert_client_hides, assert_error_hides

FLASH = "gemini:gemini-2.5-flash-image"
IMAGEN = "gemini:imagen-4.0-generate-001"
imagen_warning = pytest.mark.filterwarnings("ignore:The generate_images method is deprecated")


def test_a_gemini_model_is_asked_for_an_image_part(make: Any, api: FakeGemini):
    image = make().generate("a red fox", generate_kwargs={"width": 1344, "height": 768, "seed": 4})
    assert image[0].size == (1344, 768)
    (body,) = api.requests
    assert body["_method"] == "generateContent" and body["_model"] == "gemini-2.5-flash-image"
    assert body["contents"][0]["parts"] == [{"text": "a red fox"}]
    config = body["generationConfig"]
    assert config["responseModalities"] == ["IMAGE"]
    assert config["imageConfig"] == {"aspectRatio": "16:9"} and config["seed"] == 4
    assert api.headers[0]["x-goog-api-key"].startswith("AIzaSy-test")


def test_a_reference_image_goes_as_an_inline_image_part(make: Any, api: FakeGemini):
    reference = PIL.Image.new("RGB", (8, 8), (250, 0, 0))
    make().generate("the same, as a watercolour", reference_image=reference)
    parts = api.requests[0]["contents"][0]["parts"]
    assert parts[0] == {"text": "the same, as a watercolour"}
    inline = parts[1]["inlineData"]
    # Proto JSON takes either spelling of a field; this SDK sends mime_type.
    assert inline.get("mimeType", inline.get("mime_type")) == "image/png"
    data = inline["data"].replace("-", "+").replace("_", "/")
    sent = PIL.Image.open(io.BytesIO(base64.b64decode(data + "=" * (-len(data) % 4))))
    assert sent.getpixel((0, 0)) == (250, 0, 0)


def test_native_aspect_ratio_and_unusable_kwargs(make: Any, api: FakeGemini):
    with pytest.warns(UserWarning, match="does not use 'negative_prompt'"):
        make().generate("x", generate_kwargs={"aspect_ratio": "9:16", "negative_prompt": "fog"})
    assert api.requests[0]["generationConfig"]["imageConfig"] == {"aspectRatio": "9:16"}
    with pytest.raises(ConfigurationError, match="not one"):
        make().generate("x", generate_kwargs={"width": 1000, "height": 1000})


def test_several_images_are_several_requests_each_a_progress_step(make: Any, api: FakeGemini):
    chunks = list(make().generate("boats", num_images=3, stream=True, format="bytes"))
    progress = [c.content for c in chunks if c.phase == "image_generating"]
    assert progress == [{"step": i, "total": 3} for i in (1, 2, 3)]
    assert len(api.requests) == 3 and sum(c.phase == "image" for c in chunks) == 3


def test_the_async_client_sends_its_requests_at_once(options: dict[str, Any], api: FakeGemini):
    async def run() -> list[Any]:
        client = aio.image_client(FLASH, **options)
        return await client.generate("boats", num_images=3, format="bytes")

    assert len(asyncio.run(run())) == 3 and len(api.requests) == 3


def test_one_failed_async_request_fails_the_call_with_its_own_error(
    options: dict[str, Any], api: FakeGemini
):
    api.fail_next("authentication")

    async def run() -> None:
        await aio.image_client(FLASH, **options).generate("boats", num_images=2)

    with pytest.raises(AuthenticationError):
        asyncio.run(run())


@imagen_warning
def test_imagen_takes_every_image_in_one_predict(make: Any, api: FakeGemini):
    images = make(IMAGEN).generate(
        "a lighthouse",
        num_images=3,
        generate_kwargs={
            "seed": 5,
            "negative_prompt": "fog",
            "guidance": 7,
            "width": 768,
            "height": 1408,
            "person_generation": "dont_allow",
        },
    )
    assert [i.size for i in images] == [(768, 1408)] * 3
    (body,) = api.requests
    assert body["_method"] == "predict" and "publishers/google/models" in body["_path"]
    assert body["instances"] == [{"prompt": "a lighthouse"}]
    params = body["parameters"]
    assert params["sampleCount"] == 3 and params["seed"] == 5 and params["addWatermark"] is False
    assert params["negativePrompt"] == "fog" and params["guidanceScale"] == 7.0
    assert params["aspectRatio"] == "9:16" and params["personGeneration"] == "DONT_ALLOW"


def test_imagen_without_vertex_mode_says_what_to_do(options: dict[str, Any]):
    with pytest.raises(ConfigurationError, match="vertexai=True.*gemini-2.5-flash-image"):
        aimu_core.image_client(IMAGEN, **options)


@imagen_warning
def test_vertex_mode_from_the_environment(
    options: dict[str, Any], api: FakeGemini, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
    assert len(aimu_core.image_client(IMAGEN, **options).generate("x")) == 1


@pytest.mark.parametrize(
    ("arrange", "error", "words"),
    [
        (lambda api: api.blocked_prompt("PROHIBITED_CONTENT"), ContentBlockedError, "PROHIBITED"),
        (lambda api: api.withheld("IMAGE_SAFETY"), ContentBlockedError, "IMAGE_SAFETY"),
        (lambda api: api.text_only("I can only describe it."), ProviderError, "only describe"),
        (lambda api: api.script([google_error(503, "overloaded")]), ProviderError, "503"),
        (lambda api: api.script([google_error(404, "no model")]), ConfigurationError, "404"),
    ],
    ids=["prompt-blocked", "image-withheld", "text-only", "unavailable", "not-found"],
)
def test_replies_without_an_image(make: Any, api: FakeGemini, arrange, error, words):
    arrange(api)
    with pytest.raises(error, match=words) as caught:
        make().generate("x")
    if error is ContentBlockedError:
        assert caught.value.reason == words or words in caught.value.reason


@imagen_warning
def test_imagen_filtered_output_is_a_content_block(make: Any, api: FakeGemini):
    api.filtered("Filtered by the safety filter")
    with pytest.raises(ContentBlockedError, match="safety filter"):
        make(IMAGEN).generate("x")


def test_a_bad_key_answered_with_400_is_an_authentication_error(make: Any, api: FakeGemini):
    details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]
    api.script([google_error(400, "API key not valid. Please pass a valid API key.", details)])
    with pytest.raises(AuthenticationError, match="GEMINI_API_KEY"):
        make().generate("x")


@pytest.mark.parametrize("fail", ["html", "malformed", "stream_cut"])
def test_broken_bodies_are_provider_errors(make: Any, api: FakeGemini, fail: str):
    api.fail_next(fail)
    with pytest.raises(ProviderError):
        make().generate("x")


def test_max_retries_lets_the_sdk_retry(make: Any, api: FakeGemini):
    api.script([google_error(500, "try again")])
    images = make(max_retries=1).generate("x")
    assert len(images) == 1 and len(api.requests) == 2


@pytest.mark.parametrize("env", ["GEMINI_API_KEY", "GOOGLE_API_KEY"])
def test_the_key_comes_from_the_environment(
    api: FakeGemini, monkeypatch: pytest.MonkeyPatch, env: str
):
    monkeypatch.setenv(env, "AIzaSy-from-env-0123456789")
    aimu_core.image_client(FLASH, base_url=api.url).generate("x")
    assert api.headers[0]["x-goog-api-key"] == "AIzaSy-from-env-0123456789"


def test_no_key_at_all_is_an_authentication_error(api: FakeGemini):
    with pytest.raises(AuthenticationError, match="GEMINI_API_KEY"):
        aimu_core.image_client(FLASH).generate("x")


def test_the_key_never_shows(api: FakeGemini, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    key = "AIzaSy-LIVE-SECRET-987654321"
    client = aimu_core.image_client(FLASH, base_url=api.url, api_key=key)
    assert_client_hides(client, key)
    api.fail_next("authentication")  # the fake quotes the key back
    with pytest.raises(AuthenticationError) as caught:
        client.generate("x")
    assert_error_hides(caught.value, caplog.text, key)


def test_url_credentials_go_as_a_header_and_never_show(api: FakeGemini):
    url = api.url.replace("http://", "http://user:PASSWORD-123@")
    client = aimu_core.image_client(FLASH, base_url=url, api_key="AIzaSy-k-0123456789")
    assert "PASSWORD-123" not in repr(client) + str(client.base_url)
    client.generate("x")
    assert api.headers[0]["authorization"].startswith("Basic ")


def test_a_refused_connection(options: dict[str, Any]):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = aimu_core.image_client(FLASH, **{**options, "base_url": f"http://127.0.0.1:{port}"})
    with pytest.raises(ProviderConnectionError, match="Could not reach"):
        client.generate("x")


def test_a_bad_request_path_gets_googles_404(api: FakeGemini):
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(urllib.request.Request(f"{api.url}/v1/nothing", method="POST"))
    assert caught.value.code == 404
    assert b'"status": "NOT_FOUND"' in caught.value.read()


def test_the_fake_answers_raw_responses_as_given(make: Any, api: FakeGemini):
    api.script([Response.json({"candidates": []})])
    with pytest.raises(ProviderError, match="without an image"):
        make().generate("x")
