"""``BaseImageClient`` and ``AsyncBaseImageClient``: the contract every image provider implements.

A provider subclasses one (or both) and implements one method::

    def _generate(self, prompt: str, *, num_images: int,
                  reference_image: PIL.Image.Image | None, kwargs: dict[str, Any],
                  on_step: Callable[[int, int], None]) -> list[PIL.Image.Image | bytes]

(``async def`` on the async base). ``kwargs`` are the merged generation kwargs in
the portable vocabulary (:data:`IMAGE_KWARGS`: ``steps``, ``guidance``,
``width``, ``height``, ``seed``, ``negative_prompt``) plus the provider's
``NATIVE_KWARGS``, already validated; only the names in ``SUPPORTED_KWARGS``
reach it (another portable name warns once per process and is dropped).
``on_step(step, total)`` is called after each denoising step, from the thread
``_generate`` runs on; it raises when the caller abandoned the stream, which
stops the work at the next step. Return ``num_images`` images, each a
``PIL.Image.Image`` or the bytes of an encoded image (PNG, JPEG, WebP).

The base owns everything else, once for every provider: input checks (typed
:class:`~aimu_core.errors.ConfigurationError`), reference images from a path,
bytes, a data URL or a PIL image, the kwargs, the output formats (``"pil"``,
``"bytes"``, ``"data_url"``, ``"path"``), and streaming: with ``stream=True``
``_generate`` runs on a worker thread (a task for the async base) and the
caller gets ``StreamChunk(Phase.IMAGE_GENERATING, {"step", "total"})`` per step,
then one ``StreamChunk(Phase.IMAGE, image)`` per image.

Sharing: the calls of one sync client are serialized (a lock), so one
in-process pipeline never runs two generations at once; use one client per
thread for parallel work. Pillow is needed to use an image client (not to
import aimu_core): every image plugin depends on it.
"""

from __future__ import annotations

import asyncio
import base64
import io
import math
import os
import queue
import threading
import uuid
import warnings
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ..errors import AimuError, ConfigurationError, PluginError, quoted
from ..models.stream import Phase, StreamChunk
from .spec import AdHocImageModel, ImageModel, ImageSpec

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = [
    "FORMATS",
    "IMAGE_KWARGS",
    "AsyncBaseImageClient",
    "BaseImageClient",
    "ImageFormat",
    "OnStep",
    "ThreadedAsyncImageClient",
]

#: The portable generation kwargs and what each value must be.
IMAGE_KWARGS: dict[str, str] = {
    "steps": "an integer > 0",
    "guidance": "a finite number >= 0",
    "width": "an integer from 1 to 16384",
    "height": "an integer from 1 to 16384",
    "seed": "an integer",
    "negative_prompt": "a string",
}

_MAX_SIDE = 16384

ImageFormat = Literal["pil", "bytes", "data_url", "path"]
#: What ``generate(format=...)`` accepts.
FORMATS: tuple[str, ...] = ("pil", "bytes", "data_url", "path")
OnStep = Callable[[int, int], None]
ImageOut = Any  # PIL.Image.Image | bytes | str | pathlib.Path, by format

_MIME_SUFFIX = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}
_warned: set[tuple[str, str, str]] = set()


class StreamAbandoned(AimuError):
    """Raised inside ``on_step`` when the caller stopped reading the stream: the work ends."""


@dataclass
class _Call:
    """One validated ``generate()`` call."""

    prompt: str
    num_images: int
    format: str
    reference_image: Any
    kwargs: dict[str, Any]


def _pil() -> Any:
    try:
        import PIL.Image
    except ImportError:
        raise ConfigurationError(
            "Image generation needs Pillow, which is not installed: pip install pillow"
        ) from None
    return PIL.Image


class _ImageCalls:
    """State and the I/O-free call logic both bases share."""

    #: The provider prefix, used in messages and warnings.
    provider: ClassVar[str] = ""
    #: The portable kwargs (names in :data:`IMAGE_KWARGS`) this provider honours.
    SUPPORTED_KWARGS: ClassVar[frozenset[str]] = frozenset()
    #: Provider-specific kwargs passed to ``_generate`` unchanged (e.g. ``strength``).
    NATIVE_KWARGS: ClassVar[frozenset[str]] = frozenset()

    model: ImageModel | AdHocImageModel
    spec: ImageSpec

    def __init__(
        self,
        model: ImageModel | AdHocImageModel,
        *,
        default_generate_kwargs: Mapping[str, Any] | None = None,
        output_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        """Args:
        model: the catalog member (or ad-hoc model) to generate with.
        default_generate_kwargs: kwargs for every call (the call's win; the spec's lose).
        output_dir: where ``format="path"`` writes images; ``$AIMU_IMAGE_DIR``, else
            a fresh temporary folder, when omitted.
        """
        self.model = model
        self.spec = model.spec
        self.default_generate_kwargs = dict(default_generate_kwargs or {})
        self.output_dir = Path(output_dir) if output_dir is not None else None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.provider}:{self.model.value!r})"

    # -- input ---------------------------------------------------------------------

    def _prepare(
        self,
        prompt: object,
        num_images: object,
        format: object,
        reference_image: object,
        generate_kwargs: Mapping[str, Any] | None,
    ) -> _Call:
        if not isinstance(prompt, str) or not prompt.strip():
            raise ConfigurationError("The image prompt must be a non-empty string")
        if not isinstance(num_images, int) or isinstance(num_images, bool) or num_images < 1:
            raise ConfigurationError(f"num_images={quoted(num_images)} must be an integer >= 1")
        if format not in FORMATS:
            raise ConfigurationError(
                f"format={quoted(format)} is unknown; use one of {', '.join(map(repr, FORMATS))}"
            )
        if generate_kwargs is not None and not isinstance(generate_kwargs, Mapping):
            raise ConfigurationError("generate_kwargs must be a mapping of kwarg names to values")
        reference = None
        if reference_image is not None:
            if not self.spec.image_to_image:
                raise ConfigurationError(
                    f"Image model {self.model.value!r} takes no reference image; "
                    "use a model that supports image-to-image"
                )
            reference = _load_reference(reference_image)
        given = {**self.default_generate_kwargs, **(generate_kwargs or {})}
        kwargs = self._kwargs({**self.spec.generation_kwargs, **given}, given=given.keys())
        return _Call(prompt, num_images, str(format), reference, kwargs)

    def _kwargs(
        self, merged: Mapping[str, Any], given: Collection[str] | None = None
    ) -> dict[str, Any]:
        """Check *merged* kwargs; drop those this provider (or model) cannot use, warning
        once for each the user *given* (the spec's own defaults are dropped quietly)."""
        given = merged.keys() if given is None else given
        out: dict[str, Any] = {}
        for key, value in merged.items():
            if value is None:
                continue
            if key in self.NATIVE_KWARGS:
                out[key] = value
                continue
            if key not in IMAGE_KWARGS:
                names = ", ".join(sorted(IMAGE_KWARGS) + sorted(self.NATIVE_KWARGS))
                raise ConfigurationError(
                    f"Unknown image generation kwarg {quoted(key)} for provider "
                    f"{self.provider!r}. Use one of: {names}"
                )
            if not _valid(key, value):
                raise ConfigurationError(
                    f"Image generation kwarg {key}={quoted(value)} is invalid: it must be "
                    f"{IMAGE_KWARGS[key]}"
                )
            if key == "steps" and self.spec.steps is not None:
                low, high = self.spec.steps
                if not low <= value <= high:
                    raise ConfigurationError(
                        f"steps={value} is out of range for {self.model.value!r}: "
                        f"use {low} to {high}"
                    )
            if key not in self.SUPPORTED_KWARGS or (key == "steps" and self.spec.steps is None):
                if key in given:
                    _warn_once(self.provider, self.spec.id, key)
                continue
            out[key] = value
        if self.spec.sizes and ("width" in out or "height" in out):
            size = (out.get("width"), out.get("height"))
            if size not in self.spec.sizes:
                shown = ", ".join(f"{w}x{h}" for w, h in self.spec.sizes)
                raise ConfigurationError(
                    f"Size {size[0]}x{size[1]} is not one {self.model.value!r} makes; "
                    f"pass width and height from: {shown}"
                )
        return out

    # -- output --------------------------------------------------------------------

    def _finish(self, images: object, call: _Call) -> list[ImageOut]:
        if not isinstance(images, list) or len(images) != call.num_images:
            got = f"{len(images)} images" if isinstance(images, list) else type(images).__name__
            raise PluginError(
                f"Image provider {self.provider!r} returned {got} for num_images="
                f"{call.num_images}: the plugin is broken, report it to its authors"
            )
        return [self._convert(image, call.format) for image in images]

    def _convert(self, image: object, format: str) -> ImageOut:
        pil = _pil()
        if isinstance(image, bytes):
            mime = _mime(image, self.provider)
            if format == "bytes":
                return image
            if format == "pil":
                return _decode(image, self.provider)
            data = image
        elif isinstance(image, pil.Image):
            if format == "pil":
                return image
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            data, mime = buffer.getvalue(), "image/png"
            if format == "bytes":
                return data
        else:
            raise PluginError(
                f"Image provider {self.provider!r} returned a {type(image).__name__}, not a PIL "
                "image or image bytes: the plugin is broken, report it to its authors"
            )
        if format == "data_url":
            return f"data:{mime};base64,{base64.b64encode(data).decode()}"
        folder = self._folder()
        name = f"aimu-{uuid.uuid4().hex[:16]}.{_MIME_SUFFIX[mime]}"
        # Written beside, then renamed: a crash leaves no half image under the final name.
        partial = folder / f".{name}.partial"
        try:
            partial.write_bytes(data)
            os.replace(partial, folder / name)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise ConfigurationError(
                f"Cannot write an image to {str(folder)!r}: {exc.strerror}; pass another output_dir"
            ) from None
        return folder / name

    def _folder(self) -> Path:
        folder = self.output_dir
        if folder is None:
            env = os.environ.get("AIMU_IMAGE_DIR", "").strip()
            folder = Path(env) if env else _temp_folder()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigurationError(
                f"Cannot write images to {str(folder)!r}: {exc.strerror}; pass another output_dir"
            ) from None
        return folder


_temp: Path | None = None
_temp_lock = threading.Lock()


def _temp_folder() -> Path:
    """One temporary folder per process for ``format="path"`` without an output folder."""
    global _temp
    with _temp_lock:
        if _temp is None:
            import tempfile

            _temp = Path(tempfile.mkdtemp(prefix="aimu-images-"))
        return _temp


def _valid(key: str, value: Any) -> bool:
    is_int = isinstance(value, int) and not isinstance(value, bool)
    match key:
        case "steps":
            return is_int and value > 0
        case "width" | "height":  # a bound, so a typo cannot ask for terabytes of pixels
            return is_int and 0 < value <= _MAX_SIDE
        case "seed":
            return is_int
        case "guidance":
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            return number and math.isfinite(value) and value >= 0
        case _:
            return isinstance(value, str)


def _warn_once(provider: str, model_id: str, key: str) -> None:
    if (provider, model_id, key) in _warned:
        return
    _warned.add((provider, model_id, key))
    warnings.warn(
        f"Image provider {provider!r} does not use {key!r} for {model_id!r}; it is ignored.",
        UserWarning,
        stacklevel=5,
    )


def _mime(data: bytes, provider: str) -> str:
    from ..models.images import _sniff

    try:
        return _sniff(data)
    except ConfigurationError:
        raise PluginError(
            f"Image provider {provider!r} returned bytes that are not a PNG, JPEG, GIF or WebP "
            "image: the plugin is broken, report it to its authors"
        ) from None


def _decode(data: bytes, provider: str) -> Image:
    image = _open(data)
    if image is None:
        raise PluginError(f"Image provider {provider!r} returned image bytes Pillow cannot read")
    return image


def _open(data: bytes) -> Image | None:
    pil = _pil()
    try:
        image = pil.open(io.BytesIO(data))
        image.load()
    except (OSError, ValueError, pil.DecompressionBombError):
        return None
    return image


def _load_reference(value: object) -> Image:
    """A reference image from a PIL image, a path, encoded bytes or a data URL."""
    pil = _pil()
    if isinstance(value, pil.Image):
        return value
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    elif isinstance(value, str) and value.startswith("data:"):
        from ..models.images import split_data_url

        data = split_data_url(value)[1]
    elif isinstance(value, str) and value.startswith(("http://", "https://")):
        raise ConfigurationError(
            "reference_image must be local (a path, bytes, a data URL or a PIL image); "
            "download the URL first"
        )
    elif isinstance(value, (str, os.PathLike)):
        path = Path(value)
        if not path.is_file():
            raise ConfigurationError(f"Reference image file {quoted(str(path))} does not exist")
        data = path.read_bytes()
    else:
        raise ConfigurationError(
            f"Unsupported reference_image {type(value).__name__}: pass a PIL image, a path, "
            "bytes or a data URL"
        )
    image = _open(data)
    if image is None:
        raise ConfigurationError("reference_image is not an image Pillow can read")
    return image


def _no_step(step: int, total: int) -> None:
    return None


class BaseImageClient(_ImageCalls, ABC):
    """An image-generation client for one model. Stateless between calls (no history).

    Attributes:
        model: the catalog member (or :class:`AdHocImageModel`) this client uses.
        spec: its :class:`ImageSpec` (a client may refine it when it loads the model).
        default_generate_kwargs: kwargs applied to every call (per-call ones win).
        output_dir: where ``format="path"`` writes (see ``__init__``).
    """

    def __init__(
        self,
        model: ImageModel | AdHocImageModel,
        *,
        default_generate_kwargs: Mapping[str, Any] | None = None,
        output_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(
            model, default_generate_kwargs=default_generate_kwargs, output_dir=output_dir
        )
        self._lock = threading.Lock()

    @abstractmethod
    def _generate(
        self,
        prompt: str,
        *,
        num_images: int,
        reference_image: Image | None,
        kwargs: dict[str, Any],
        on_step: OnStep,
    ) -> list[Image | bytes]:
        """Generate *num_images* images (see the module docstring for the contract).

        Raise errors from :mod:`aimu_core.errors`, translated from the SDK's.
        """

    def generate(
        self,
        prompt: str,
        *,
        num_images: int = 1,
        format: ImageFormat = "pil",
        reference_image: Any = None,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
    ) -> list[ImageOut] | Iterator[StreamChunk]:
        """Generate images for *prompt*.

        Args:
            num_images: how many images.
            format: ``"pil"`` (``PIL.Image.Image``), ``"bytes"`` (the encoded image,
                PNG unless the provider sent another encoding), ``"data_url"``
                (``data:image/png;base64,...``) or ``"path"`` (a ``pathlib.Path``
                to a file in ``output_dir``).
            reference_image: an image to start from (image-to-image), where the
                model supports it: a PIL image, a path, bytes or a data URL.
            generate_kwargs: portable kwargs (``steps``, ``guidance``, ``width``,
                ``height``, ``seed``, ``negative_prompt``) and the provider's own.
            stream: return an iterator of progress chunks, then image chunks.

        Returns:
            a list of ``num_images`` images in *format*, or with ``stream=True`` an
            iterator of :class:`StreamChunk`.

        Raises:
            ConfigurationError: bad input (checked before anything runs).
        """
        call = self._prepare(prompt, num_images, format, reference_image, generate_kwargs)
        if stream:
            return self._stream(call)
        return self._finish(self._run(call, _no_step), call)

    def _run(self, call: _Call, on_step: OnStep) -> list[Any]:
        with self._lock:
            return self._generate(
                call.prompt,
                num_images=call.num_images,
                reference_image=call.reference_image,
                kwargs=dict(call.kwargs),
                on_step=on_step,
            )

    def _stream(self, call: _Call) -> Iterator[StreamChunk]:
        events: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        abandoned = threading.Event()

        def on_step(step: int, total: int) -> None:
            if abandoned.is_set():
                raise StreamAbandoned("the caller stopped reading the image stream")
            events.put(("step", (step, total)))

        def work() -> None:
            try:
                events.put(("done", self._run(call, on_step)))
            except BaseException as exc:  # handed to the reading thread, raised there
                events.put(("error", exc))

        worker = threading.Thread(target=work, name="aimu-image-generate", daemon=True)
        worker.start()
        try:
            while True:
                kind, payload = events.get()
                if kind == "step":
                    yield StreamChunk(Phase.IMAGE_GENERATING, _progress(*payload))
                elif kind == "error":
                    raise payload
                else:
                    break
            for image in self._finish(payload, call):
                yield StreamChunk(Phase.IMAGE, image)
        finally:
            abandoned.set()


def _progress(step: int, total: int) -> dict[str, int]:
    return {"step": int(step), "total": int(total)}


class AsyncBaseImageClient(_ImageCalls, ABC):
    """Async twin of :class:`BaseImageClient`: ``await client.generate(...)``.

    ``_generate`` is a coroutine; ``on_step`` must be called from the event
    loop's thread. Calls on one async client may run concurrently.
    """

    @abstractmethod
    async def _generate(
        self,
        prompt: str,
        *,
        num_images: int,
        reference_image: Image | None,
        kwargs: dict[str, Any],
        on_step: OnStep,
    ) -> list[Image | bytes]:
        """Generate *num_images* images (see the module docstring for the contract)."""

    async def generate(
        self,
        prompt: str,
        *,
        num_images: int = 1,
        format: ImageFormat = "pil",
        reference_image: Any = None,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
    ) -> list[ImageOut] | AsyncIterator[StreamChunk]:
        """Generate images for *prompt*; the arguments are :meth:`BaseImageClient.generate`'s."""
        call = self._prepare(prompt, num_images, format, reference_image, generate_kwargs)
        if stream:
            return self._stream(call)
        return self._finish(await self._run(call, _no_step), call)

    async def _run(self, call: _Call, on_step: OnStep) -> list[Any]:
        return await self._generate(
            call.prompt,
            num_images=call.num_images,
            reference_image=call.reference_image,
            kwargs=dict(call.kwargs),
            on_step=on_step,
        )

    async def _stream(self, call: _Call) -> AsyncIterator[StreamChunk]:
        steps: asyncio.Queue[tuple[int, int] | None] = asyncio.Queue()
        task = asyncio.ensure_future(self._run(call, lambda s, t: steps.put_nowait((s, t))))
        task.add_done_callback(lambda _: steps.put_nowait(None))
        try:
            while (step := await steps.get()) is not None:
                yield StreamChunk(Phase.IMAGE_GENERATING, _progress(*step))
            for image in self._finish(task.result(), call):
                yield StreamChunk(Phase.IMAGE, image)
        finally:
            if not task.done():
                task.cancel()


class ThreadedAsyncImageClient(AsyncBaseImageClient):
    """An async client over a sync one: its ``_generate`` runs on a worker thread.

    Used for providers whose record has no ``async_client`` (in-process
    pipelines); the loaded model is the sync client's, its calls serialized by
    the sync client's lock.
    """

    def __init__(self, sync_client: BaseImageClient) -> None:
        super().__init__(
            sync_client.model,
            default_generate_kwargs=sync_client.default_generate_kwargs,
            output_dir=sync_client.output_dir,
        )
        self.sync_client = sync_client
        self.provider = sync_client.provider  # type: ignore[misc]
        self.SUPPORTED_KWARGS = sync_client.SUPPORTED_KWARGS  # type: ignore[misc]
        self.NATIVE_KWARGS = sync_client.NATIVE_KWARGS  # type: ignore[misc]

    @property
    def spec(self) -> ImageSpec:
        """The wrapped client's spec, which it may refine when it loads its model."""
        return self.sync_client.spec

    @spec.setter
    def spec(self, value: ImageSpec) -> None:
        pass  # the wrapped client's spec is the one in force

    async def _generate(
        self,
        prompt: str,
        *,
        num_images: int,
        reference_image: Image | None,
        kwargs: dict[str, Any],
        on_step: OnStep,
    ) -> list[Image | bytes]:
        loop = asyncio.get_running_loop()
        abandoned = threading.Event()

        def step_in_thread(step: int, total: int) -> None:
            if abandoned.is_set():
                raise StreamAbandoned("the caller stopped reading the image stream")
            loop.call_soon_threadsafe(on_step, step, total)

        call = _Call(prompt, num_images, "pil", reference_image, kwargs)
        try:
            return await asyncio.to_thread(self.sync_client._run, call, step_in_thread)
        finally:
            abandoned.set()
