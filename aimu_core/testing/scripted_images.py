"""A scripted image provider: small deterministic pictures, progress steps, scripted failures.

It is a real provider, contributed through the ``aimu_image_providers`` hook
like any other, so tests of the image surface, the ``generate_image`` tool and
the ``aimu image`` command exercise the whole client stack without a model.
For tests only, like :mod:`aimu_core.testing.scripted` (no entry point
installs it): ``aimu_core.plugins.register(aimu_core.testing.scripted_images)``,
or :func:`aimu_core.testing.scripted_site` on a subprocess's ``PYTHONPATH``::

    img = aimu_core.generate_image("a fox", model="scripted:sketch")

The picture is a function of the prompt, the seed, the size and the image's
index (a colour field with a gradient), so seeded calls repeat exactly. A
prompt ``fail:<kind>`` (one of :data:`IMAGE_FAILURES`) raises that failure
after the first step.
"""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING, Any

from ..errors import AimuError, ContentBlockedError
from ..hookspecs import hookimpl
from ..images.base import IMAGE_KWARGS, AsyncBaseImageClient, BaseImageClient, OnStep
from ..images.spec import AdHocImageModel, ImageModel, ImageSpec
from ..records import ImageProvider
from .scripted import FAILURES, HTTP_ONLY, scripted_error

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = [
    "AIMU_PLUGIN_API",
    "IMAGE_FAILURES",
    "ScriptedAsyncImageClient",
    "ScriptedImageClient",
    "ScriptedImageModel",
    "aimu_image_providers",
]

AIMU_PLUGIN_API = 1


class ScriptedImageModel(ImageModel):
    """The scripted image catalog.

    ``sketch`` is like a local diffusion model (steps, seeds, reference images,
    any size); ``poster`` like a cloud model (fixed sizes, no steps, PNG bytes).
    """

    SKETCH = ImageSpec(
        "sketch",
        image_to_image=True,
        steps=(1, 50),
        seeded=True,
        generation_kwargs={"steps": 3, "width": 32, "height": 32},
    )
    POSTER = ImageSpec(
        "poster",
        sizes=((32, 32), (48, 32)),
        seeded=True,
        generation_kwargs={"width": 32, "height": 32},
    )


#: Failures a prompt ``fail:<kind>`` raises: the scripted text provider's, except
#: those only an HTTP exchange shows, plus ``safety`` (a blocked prompt).
IMAGE_FAILURES: dict[str, type[AimuError]] = {
    **{kind: cls for kind, cls in FAILURES.items() if kind not in HTTP_ONLY | {"stream_cut"}},
    "safety": ContentBlockedError,
}


@hookimpl
def aimu_image_providers() -> list[ImageProvider]:
    return [
        ImageProvider(
            name="scripted",
            client="aimu_core.testing.scripted_images:ScriptedImageClient",
            async_client="aimu_core.testing.scripted_images:ScriptedAsyncImageClient",
            models=ScriptedImageModel,
            open_catalog=True,
            description="Scripted pictures for tests (a colour field per prompt and seed)",
        )
    ]


def _fail(prompt: str) -> None:
    kind = prompt.strip().removeprefix("fail:")
    if not prompt.strip().startswith("fail:") or kind not in IMAGE_FAILURES:
        return
    if kind == "safety":
        raise ContentBlockedError(
            "scripted safety block: the prompt was refused", provider="scripted", reason="SAFETY"
        )
    raise scripted_error(kind)


def _picture(
    prompt: str, kwargs: dict[str, Any], index: int, reference: Image | None
) -> Image | bytes:
    import PIL.Image

    width, height = kwargs.get("width", 32), kwargs.get("height", 32)
    seed = kwargs.get("seed")
    salt = str(seed) if seed is not None else os.urandom(8).hex()
    digest = hashlib.sha256(f"{prompt}|{kwargs.get('negative_prompt')}|{salt}|{index}".encode())
    r, g, b = digest.digest()[:3]
    image = PIL.Image.new("RGB", (width, height), (r, g, b))
    pixels = image.load()
    assert pixels is not None
    for x in range(width):  # a gradient, so the picture is not a flat colour
        pixels[x, 0] = (x * 255 // max(width - 1, 1), g, b)
    if reference is not None:
        image = PIL.Image.blend(image, reference.convert("RGB").resize((width, height)), 0.5)
    return image


class ScriptedImageClient(BaseImageClient):
    """Sync scripted image client. ``requests`` records every ``_generate`` call."""

    provider = "scripted"
    SUPPORTED_KWARGS = frozenset(IMAGE_KWARGS)
    NATIVE_KWARGS = frozenset({"strength"})

    def __init__(
        self, model: ImageModel | AdHocImageModel = ScriptedImageModel.SKETCH, **options: Any
    ) -> None:
        super().__init__(model, **options)
        self.requests: list[dict[str, Any]] = []

    def _generate(
        self,
        prompt: str,
        *,
        num_images: int,
        reference_image: Image | None,
        kwargs: dict[str, Any],
        on_step: OnStep,
    ) -> list[Image | bytes]:
        self.requests.append({"prompt": prompt, "num_images": num_images, "kwargs": kwargs})
        total = kwargs.get("steps", 1) if self.spec.steps is not None else 0
        for step in range(1, total + 1):
            on_step(step, total)
            if step == 1:
                _fail(prompt)
        _fail(prompt)
        images = [_picture(prompt, kwargs, i, reference_image) for i in range(num_images)]
        if self.spec.steps is None:  # the cloud-like model sends encoded images
            return [_png(image) for image in images]
        return images


def _png(image: Image | bytes) -> bytes:
    import io

    if isinstance(image, bytes):
        return image
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class ScriptedAsyncImageClient(AsyncBaseImageClient):
    """Async scripted image client; the same pictures as :class:`ScriptedImageClient`."""

    provider = "scripted"
    SUPPORTED_KWARGS = ScriptedImageClient.SUPPORTED_KWARGS
    NATIVE_KWARGS = ScriptedImageClient.NATIVE_KWARGS

    def __init__(
        self, model: ImageModel | AdHocImageModel = ScriptedImageModel.SKETCH, **options: Any
    ) -> None:
        super().__init__(model, **options)
        self._sync = ScriptedImageClient(model, **options)
        self.requests = self._sync.requests

    async def _generate(
        self,
        prompt: str,
        *,
        num_images: int,
        reference_image: Image | None,
        kwargs: dict[str, Any],
        on_step: OnStep,
    ) -> list[Image | bytes]:
        import asyncio

        await asyncio.sleep(0)  # a real await, as a network provider's would be
        return self._sync._generate(
            prompt,
            num_images=num_images,
            reference_image=reference_image,
            kwargs=kwargs,
            on_step=on_step,
        )
