"""``GeminiImageClient`` and ``AsyncGeminiImageClient``: images through the official ``google-genai``.

Two families, two calls:

* **Gemini image models** (``gemini-2.5-flash-image`` ...): ``models.generate_content``
  with ``response_modalities=["IMAGE"]``; a reference image goes in as an image
  part beside the prompt; one image per request, so ``num_images`` makes that
  many requests (concurrently on the async client), each one progress step.
* **Imagen** (``imagen-4.0-generate-001`` ...): ``models.generate_images``
  (``:predict``), all images in one request. google-genai (3.x) sends it only
  in **Vertex AI mode**: ``vertexai=True`` with a Vertex API key (express mode)
  or ``project=``/``location=`` and Application Default Credentials. With a
  plain Gemini API key the SDK refuses, so the client says so when it is built
  rather than at the first call.

Both twins share :class:`GeminiImageClientBase` (requests, replies, errors);
each only names how it calls the SDK. The API key comes from ``api_key=``,
``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``; it is held as a ``SecretStr`` and
redacted from every error (:mod:`._errors`).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from google import genai
from google.genai import types
from pydantic import SecretStr

from aimu_core.provider import (
    AdHocImageModel,
    AsyncBaseImageClient,
    BaseImageClient,
    ConfigurationError,
    ErrorContext,
    ImageModel,
    LoopLocal,
    OnStep,
    ProviderError,
    mask_url,
    translate_sdk_error,
    url_basic_auth,
    url_secrets,
)

from ._errors import BLOCKING_FINISH, blocked, gemini_error
from .models import GEMINI_SIZES, IMAGEN_SIZES, is_imagen

__all__ = ["AsyncGeminiImageClient", "GeminiImageClient", "GeminiImageClientBase"]

_KEY_ENVS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
#: Portable kwargs each family honours (others warn once and are dropped).
_GEMINI_KWARGS = frozenset({"width", "height", "seed"})
_IMAGEN_KWARGS = frozenset({"width", "height", "seed", "negative_prompt", "guidance"})


class GeminiImageClientBase:
    """What the sync and async Gemini image clients share.

    Args:
        model: a catalog member (the factory passes it).
        api_key: defaults to ``GEMINI_API_KEY``, then ``GOOGLE_API_KEY``.
        base_url: another endpoint (a proxy, a test server); Google's by default.
            A ``user:password@`` in it is sent as a header and never shown.
        vertexai: use Vertex AI (needed for Imagen); defaults to the SDK's
            ``GOOGLE_GENAI_USE_VERTEXAI``.
        project, location: the Vertex AI project and region (with ADC credentials).
        timeout: seconds per request (the SDK's default when ``None``).
        max_retries: attempts the SDK retries a 408/429/5xx (none by default).
        **kwargs: the base client's (``default_generate_kwargs``, ``output_dir``).
    """

    provider = "gemini"
    #: ``aspect_ratio`` (e.g. ``"16:9"``) instead of width/height; Imagen's own
    #: ``person_generation``, ``safety_filter_level``, ``add_watermark``, ``enhance_prompt``.
    NATIVE_KWARGS = frozenset(
        {
            "aspect_ratio",
            "person_generation",
            "safety_filter_level",
            "add_watermark",
            "enhance_prompt",
        }
    )

    model: ImageModel | AdHocImageModel
    _errors: ErrorContext

    def __init__(
        self,
        model: ImageModel | AdHocImageModel,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        vertexai: bool | None = None,
        project: str | None = None,
        location: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, **kwargs)  # type: ignore[call-arg]  # the image base's
        self.imagen = is_imagen(model.value)
        self.SUPPORTED_KWARGS = _IMAGEN_KWARGS if self.imagen else _GEMINI_KWARGS
        if isinstance(api_key, SecretStr):
            api_key = api_key.get_secret_value()
        key = api_key or next((os.environ[e] for e in _KEY_ENVS if os.environ.get(e)), None)
        self._api_key = SecretStr(key) if key else None
        if vertexai is None:
            vertexai = os.environ.get("GOOGLE_GENAI_USE_VERTEXAI", "").lower() in ("1", "true")
        self.vertexai = vertexai
        self.project, self.location = project, location
        if self.imagen and not vertexai:
            raise ConfigurationError(
                f"Imagen model {model.value!r} needs Vertex AI mode: google-genai sends Imagen "
                "requests only to Vertex AI. Pass vertexai=True with a Vertex API key (or "
                "project= and location=), or use a Gemini image model such as "
                "'gemini:gemini-2.5-flash-image', which works with a Gemini API key."
            )
        url = base_url or None
        sdk_url, self._basic = url_basic_auth(url)
        self._url = SecretStr(sdk_url) if sdk_url else None
        self.base_url = mask_url(url) if url else None
        self.timeout = timeout
        self.max_retries = max_retries
        where = self.base_url or ("Vertex AI" if vertexai else "the Gemini API")
        secrets = (*((self._api_key,) if self._api_key else ()), *url_secrets(url))
        self._errors = ErrorContext(
            self.provider,
            model.value,
            where,
            name="Gemini",
            key_envs=_KEY_ENVS,
            secrets=secrets,
        )
        self._sdk = LoopLocal(self._new_sdk)
        self._configs: dict[tuple[str | None, int | None], Any] = {}

    def _new_sdk(self) -> Any:
        options: dict[str, Any] = {}
        if self._url is not None:
            options["base_url"] = self._url.get_secret_value()
        if self.timeout is not None:
            options["timeout"] = int(self.timeout * 1000)  # milliseconds
        if self.max_retries:
            options["retry_options"] = types.HttpRetryOptions(attempts=self.max_retries + 1)
        if self._basic is not None:
            options["headers"] = {"Authorization": self._basic.get_secret_value()}
        client = genai.Client(
            api_key=self._api_key.get_secret_value() if self._api_key else None,
            vertexai=self.vertexai or None,
            project=self.project,
            location=self.location,
            http_options=types.HttpOptions(**options),
        )
        return client.aio if self._async else client

    _async = False

    # -- requests ----------------------------------------------------------------------

    def _content_request(
        self, prompt: str, reference: Any, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        """``generate_content``'s arguments for one image."""
        contents: list[Any] = [prompt]
        if reference is not None:
            contents.append(types.Part.from_bytes(data=_png(reference), mime_type="image/png"))
        config = self._content_config(_aspect_ratio(kwargs, GEMINI_SIZES), kwargs.get("seed"))
        return {"model": self.model.value, "contents": contents, "config": config}

    def _content_config(self, ratio: str | None, seed: int | None) -> Any:
        """The ``GenerateContentConfig`` for *ratio* and *seed*, built once and reused: it
        is a pydantic model, and building one costs more than the rest of aimu's work."""
        key = (ratio, seed)
        config = self._configs.get(key)
        if config is None:
            fields: dict[str, Any] = {"response_modalities": ["IMAGE"]}
            if ratio:
                fields["image_config"] = types.ImageConfig(aspect_ratio=ratio)
            if seed is not None:
                fields["seed"] = seed
            config = types.GenerateContentConfig(**fields)
            if len(self._configs) >= 64:  # a bound: seeds vary call by call
                self._configs.clear()
            self._configs[key] = config
        return config

    def _imagen_request(
        self, prompt: str, num_images: int, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        """``generate_images``' arguments for *num_images* images."""
        config: dict[str, Any] = {
            "number_of_images": num_images,
            "output_mime_type": "image/png",
            "include_rai_reason": True,
        }
        ratio = _aspect_ratio(kwargs, IMAGEN_SIZES)
        if ratio:
            config["aspect_ratio"] = ratio
        if "seed" in kwargs:
            config["seed"] = kwargs["seed"]
            config["add_watermark"] = False  # Imagen takes a seed only without the watermark
        if "negative_prompt" in kwargs:
            config["negative_prompt"] = kwargs["negative_prompt"]
        if "guidance" in kwargs:
            config["guidance_scale"] = float(kwargs["guidance"])
        for key in ("person_generation", "safety_filter_level", "add_watermark", "enhance_prompt"):
            if key in kwargs:
                config[key] = kwargs[key]
        return {
            "model": self.model.value,
            "prompt": prompt,
            "config": types.GenerateImagesConfig(**config),
        }

    # -- replies -----------------------------------------------------------------------

    def _content_image(self, response: Any) -> bytes:
        """The image of a ``generate_content`` reply; a refusal as ``ContentBlockedError``."""
        feedback = getattr(response, "prompt_feedback", None)
        reason = _name(getattr(feedback, "block_reason", None))
        if reason:
            message = getattr(feedback, "block_reason_message", None) or ""
            raise blocked(self._errors, f"(blockReason {reason}) {message}".strip(), reason=reason)
        candidates = getattr(response, "candidates", None) or []
        texts: list[str] = []
        for candidate in candidates:
            parts = getattr(getattr(candidate, "content", None), "parts", None) or []
            for part in parts:
                inline = getattr(part, "inline_data", None)
                if inline is not None and inline.data:
                    return bytes(inline.data)
                if getattr(part, "text", None):
                    texts.append(part.text)
            finish = _name(getattr(candidate, "finish_reason", None))
            if finish in BLOCKING_FINISH:
                raise blocked(self._errors, f"(finishReason {finish})", reason=finish)
        said = " ".join(texts).strip()
        raise ProviderError(
            f"{self._errors.where} answered without an image"
            + (f"; the model said: {self._errors.clean(said)[:300]!r}" if said else "")
            + ". Ask for a picture explicitly, or retry.",
            provider=self.provider,
        )

    def _imagen_images(self, response: Any, num_images: int) -> list[bytes]:
        generated = getattr(response, "generated_images", None) or []
        images = [
            bytes(g.image.image_bytes)
            for g in generated
            if getattr(g, "image", None) is not None and g.image.image_bytes
        ]
        reasons = [
            g.rai_filtered_reason for g in generated if getattr(g, "rai_filtered_reason", None)
        ]
        if len(images) < num_images and reasons:
            raise blocked(self._errors, f"({'; '.join(reasons)})", reason="RAI_FILTERED")
        if len(images) < num_images:
            raise ProviderError(
                f"{self._errors.where} returned {len(images)} of the {num_images} images asked "
                "for, and said nothing of why. Retry.",
                provider=self.provider,
            )
        return images[:num_images]

    def _call(self, fn: Callable[[], Any]) -> Any:
        """Run one SDK call; its exception as an aimu error, raised outside the handler."""
        try:
            return fn()
        except Exception as exc:
            error = self._translate(exc)
        raise error

    def _translate(self, exc: BaseException) -> BaseException:
        return translate_sdk_error(
            exc,
            self._errors.secrets,
            lambda e, text: gemini_error(self._errors, e, text, timeout=self.timeout),
        )


def _aspect_ratio(kwargs: dict[str, Any], sizes: dict[str, tuple[int, int]]) -> str | None:
    """``aspect_ratio`` as given, else the ratio whose size is ``width`` x ``height``."""
    if "aspect_ratio" in kwargs:
        return str(kwargs["aspect_ratio"])
    size = (kwargs.get("width"), kwargs.get("height"))
    return next((ratio for ratio, pixels in sizes.items() if pixels == size), None)


def _name(value: Any) -> str:
    """An SDK enum (or a string the SDK kept as is) as its name; ``""`` for none."""
    if value is None:
        return ""
    name = getattr(value, "name", None) or str(value)
    return "" if name.endswith("UNSPECIFIED") else name


def _first(group: BaseExceptionGroup) -> BaseException:
    """The first exception of a task group's failure, unwrapped from nested groups."""
    first = group.exceptions[0]
    return _first(first) if isinstance(first, BaseExceptionGroup) else first


def _png(image: Any) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class GeminiImageClient(GeminiImageClientBase, BaseImageClient):
    """Images from a Gemini or Imagen model (options: :class:`GeminiImageClientBase`)."""

    def _generate(
        self,
        prompt: str,
        *,
        num_images: int,
        reference_image: Any,
        kwargs: dict[str, Any],
        on_step: OnStep,
    ) -> list[Any]:
        sdk = self._call(self._sdk.get)
        if self.imagen:
            request = self._imagen_request(prompt, num_images, kwargs)
            response = self._call(lambda: sdk.models.generate_images(**request))
            on_step(1, 1)
            return list(self._imagen_images(response, num_images))
        request = self._content_request(prompt, reference_image, kwargs)
        images: list[Any] = []
        for done in range(1, num_images + 1):
            response = self._call(lambda: sdk.models.generate_content(**request))
            images.append(self._content_image(response))
            on_step(done, num_images)
        return images


class AsyncGeminiImageClient(GeminiImageClientBase, AsyncBaseImageClient):
    """The async twin of :class:`GeminiImageClient` (same options), on ``client.aio``."""

    _async = True

    async def _generate(
        self,
        prompt: str,
        *,
        num_images: int,
        reference_image: Any,
        kwargs: dict[str, Any],
        on_step: OnStep,
    ) -> list[Any]:
        sdk = self._call(self._sdk.get)
        if self.imagen:
            request = self._imagen_request(prompt, num_images, kwargs)
            response = await self._acall(sdk.models.generate_images(**request))
            on_step(1, 1)
            return list(self._imagen_images(response, num_images))
        request = self._content_request(prompt, reference_image, kwargs)
        done = 0

        async def one() -> bytes:
            nonlocal done
            image = self._content_image(await self._acall(sdk.models.generate_content(**request)))
            done += 1
            on_step(done, num_images)
            return image

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one()) for _ in range(num_images)]
        except BaseExceptionGroup as failed:
            error = _first(failed)  # the other requests were cancelled
        else:
            return [task.result() for task in tasks]
        raise error

    async def _acall(self, awaitable: Any) -> Any:
        try:
            return await awaitable
        except Exception as exc:
            error = self._translate(exc)
        raise error
