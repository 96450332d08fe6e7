"""The image provider conformance kit: one test class every image provider must pass.

Subclass :class:`ImageProviderConformance` in your plugin's tests and say how
to reach your provider::

    from aimu_core.testing.image_conformance import ImageProviderConformance

    class TestMyImages(ImageProviderConformance):
        model = "myprov:my-image-model"
        generate_kwargs = {"width": 64, "height": 64, "steps": 2}   # keep it small
        faults = ("authentication", "rate_limit", "server_error", "safety", "timeout",
                  "connection_refused")

        @pytest.fixture
        def client_options(self, fake_api):
            return {"base_url": fake_api.server.url, "api_key": "test"}

        @pytest.fixture
        def arrange_fault(self, fake_api):
            def arrange(kind):                 # the next request fails that way
                fake_api.fail_next(kind)
                return "a lighthouse"          # the prompt to send
            return arrange

What it checks, on the sync and the async client: every output format
(``pil``, ``bytes``, ``data_url``, ``path``) holds a real image of the asked
size; ``num_images``; the same seed gives the same pixels where the model's
spec claims ``seeded``; streaming yields well-formed progress (at least one
step where the spec has ``steps``) and then exactly the images; a stream
abandoned half-way leaves the client usable; two threads sharing a client both
get their images; bad input raises :class:`~aimu_core.errors.ConfigurationError`
before anything runs; reference images work where the spec claims
``image_to_image`` and are refused where not; and the **fault matrix**
(:data:`IMAGE_FAULTS`) maps each fault to its aimu error, with the API key in
no message or traceback. Faults run only where the subclass can provoke them:
``arrange_fault`` (``None`` by default: the fault tests are skipped, saying
so) and :attr:`ImageProviderConformance.faults`.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import threading
import traceback
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, ClassVar

import pytest

import aimu_core
from aimu_core.errors import (
    AimuError,
    AuthenticationError,
    ConfigurationError,
    ContentBlockedError,
    ProviderConnectionError,
    ProviderError,
    RateLimitError,
    RequestTimeoutError,
)
from aimu_core.images import FORMATS
from aimu_core.models import Phase

from .conformance import ProviderConformance
from .scripted import RETRY_AFTER

__all__ = ["IMAGE_FAULTS", "IMAGE_FAULT_API_KEY", "ImageProviderConformance"]

#: Each fault the kit can provoke and the aimu error it must raise.
IMAGE_FAULTS: dict[str, type[AimuError]] = {
    "authentication": AuthenticationError,  # 401
    "rate_limit": RateLimitError,  # 429 with retry info
    "server_error": ProviderError,  # 500
    "safety": ContentBlockedError,  # the prompt (or the output) was blocked
    "timeout": RequestTimeoutError,  # the reply comes after the client's timeout
    "connection_refused": ProviderConnectionError,  # nobody listens at the base URL
}
#: The API key the fault matrix gives a network client; it must never show.
IMAGE_FAULT_API_KEY = "aimu-image-fault-key-5b1e7c93d2a04f86"
#: The client timeout (seconds) of the ``timeout`` fault; the fake answers far later.
IMAGE_FAULT_TIMEOUT = 0.25

ArrangeFault = Callable[[str], str] | None


def _size(image: Any) -> tuple[int, int]:
    import PIL.Image

    if isinstance(image, PIL.Image.Image):
        return image.size
    if isinstance(image, Path):
        data = image.read_bytes()
    elif isinstance(image, str):
        header, _, payload = image.partition(",")
        assert header.startswith("data:image/") and header.endswith(";base64"), header[:40]
        data = base64.b64decode(payload, validate=True)
    else:
        assert isinstance(image, bytes), type(image)
        data = image
    with PIL.Image.open(io.BytesIO(data)) as opened:
        opened.load()
        return opened.size


def _pixels(image: Any) -> bytes:
    return bytes(image.convert("RGB").tobytes())


class ImageProviderConformance:
    """Subclass me; set ``model`` and override the fixtures your provider needs."""

    #: The image model string under test (or override the ``model_string`` fixture).
    model: ClassVar[str] = ""
    #: Generation kwargs for every call: keep images small and steps few.
    generate_kwargs: ClassVar[dict[str, Any]] = {}
    #: The faults of :data:`IMAGE_FAULTS` this provider's fake can render (through
    #: ``arrange_fault``; ``connection_refused`` through ``unreachable``).
    faults: ClassVar[Collection[str]] = ()
    #: The client option taking an API key ('' when the client takes none).
    api_key_option: ClassVar[str] = "api_key"
    #: The client option taking a timeout in seconds (the ``timeout`` fault sets it).
    timeout_option: ClassVar[str] = "timeout"
    #: The seconds the fake's ``rate_limit`` reply asks to wait; ``RateLimitError.retry_after``
    #: must say the same.
    retry_after: ClassVar[float | None] = RETRY_AFTER

    @pytest.fixture
    def client_options(self) -> dict[str, Any]:
        """Options for the provider's client (``base_url``, ``api_key``, ``output_dir`` ...)."""
        return {}

    @pytest.fixture
    def model_string(self) -> str:
        """The model string under test; override it when it is only known at run time."""
        return self.model

    @pytest.fixture
    def arrange_fault(self) -> ArrangeFault:
        """A callable making the next generation fail as its argument (a key of
        :data:`IMAGE_FAULTS`) says, returning the prompt to send; ``None``: faults
        cannot be provoked (the fault tests are skipped)."""
        return None

    @pytest.fixture
    def make_client(
        self, model_string: str, client_options: dict[str, Any], tmp_path: Path
    ) -> Callable[..., Any]:
        def make(**extra: Any) -> Any:
            options = {"output_dir": tmp_path / "images", **client_options, **extra}
            return aimu_core.image_client(model_string, **options)

        return make

    @pytest.fixture
    def make_async_client(
        self, model_string: str, client_options: dict[str, Any], tmp_path: Path
    ) -> Callable[..., Any]:
        from aimu_core import aio

        def make(**extra: Any) -> Any:
            options = {"output_dir": tmp_path / "images", **client_options, **extra}
            return aio.image_client(model_string, **options)

        return make

    # A loopback URL nothing listens on, and the client options pointing there.
    closed_url = ProviderConformance.closed_url
    unreachable = ProviderConformance.unreachable

    def _expected_size(self, client: Any) -> tuple[int, int] | None:
        kwargs = {**client.spec.generation_kwargs, **self.generate_kwargs}
        if "width" in kwargs and "height" in kwargs:
            return (kwargs["width"], kwargs["height"])
        return None

    def _generate(self, client: Any, prompt: str = "a red lighthouse", **kwargs: Any) -> Any:
        extra = kwargs.pop("generate_kwargs", {})
        return client.generate(prompt, generate_kwargs={**self.generate_kwargs, **extra}, **kwargs)

    # -- formats and counts --------------------------------------------------------------

    @pytest.mark.parametrize("format", FORMATS)
    def test_each_format_holds_an_image_of_the_asked_size(
        self, make_client: Any, format: str
    ) -> None:
        import PIL.Image

        client = make_client()
        images = self._generate(client, format=format)
        assert isinstance(images, list) and len(images) == 1, images
        image = images[0]
        expected_type: dict[str, type] = {
            "pil": PIL.Image.Image,
            "bytes": bytes,
            "data_url": str,
            "path": Path,
        }
        assert isinstance(image, expected_type[format]), type(image)
        if isinstance(image, Path):
            assert image.is_file()
        size = _size(image)
        expected = self._expected_size(client)
        if expected is not None:
            assert size == expected, (size, expected)

    def test_num_images(self, make_client: Any) -> None:
        images = self._generate(make_client(), num_images=2, format="bytes")
        assert len(images) == 2 and all(_size(i) for i in images)

    def test_one_shot_generate_image_returns_one_image(
        self, model_string: str, client_options: dict[str, Any]
    ) -> None:
        image = aimu_core.generate_image(
            "a small boat",
            model=model_string,
            format="bytes",
            generate_kwargs=self.generate_kwargs,
            **client_options,
        )
        assert isinstance(image, bytes) and _size(image)

    def test_same_seed_same_pixels(self, make_client: Any) -> None:
        client = make_client()
        if not client.spec.seeded:
            pytest.skip(f"{client.spec.id!r} does not claim seeded (reproducible) output")
        first = self._generate(client, "a fox", generate_kwargs={"seed": 1234})[0]
        again = self._generate(make_client(), "a fox", generate_kwargs={"seed": 1234})[0]
        assert _pixels(first) == _pixels(again)

    # -- streaming ------------------------------------------------------------------------

    def test_stream_reports_progress_then_the_images(self, make_client: Any) -> None:
        client = make_client()
        chunks = list(self._generate(client, num_images=2, format="bytes", stream=True))
        progress = [c for c in chunks if c.phase == Phase.IMAGE_GENERATING]
        images = [c for c in chunks if c.phase == Phase.IMAGE]
        assert len(progress) + len(images) == len(chunks), [c.phase for c in chunks]
        assert chunks[-2:] == images and len(images) == 2
        assert all(_size(c.content) for c in images)
        if client.spec.steps is not None:
            assert progress, "a model with denoising steps streams progress"
        steps = [c.content["step"] for c in progress]
        totals = {c.content["total"] for c in progress}
        assert all(isinstance(s, int) for s in steps) and steps == sorted(steps), steps
        assert all(isinstance(t, int) and t >= max(steps, default=0) for t in totals), totals

    def test_an_abandoned_stream_leaves_the_client_usable(self, make_client: Any) -> None:
        client = make_client()
        stream = self._generate(client, stream=True)
        next(stream)
        stream.close()
        assert len(self._generate(client, format="bytes")) == 1

    def test_two_threads_share_a_client(self, make_client: Any) -> None:
        client = make_client()
        results: dict[int, Any] = {}

        def work(n: int) -> None:
            try:
                results[n] = self._generate(client, f"picture {n}", format="bytes")
            except Exception as exc:  # reported below
                results[n] = exc

        threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert all(isinstance(results.get(n), list) for n in range(2)), results

    # -- input ----------------------------------------------------------------------------

    @pytest.mark.parametrize(
        "call",
        [
            {"prompt": ""},
            {"num_images": 0},
            {"num_images": "2"},
            {"format": "gif"},
            {"generate_kwargs": {"no_such_kwarg": 1}},
            {"generate_kwargs": {"seed": "abc"}},
            {"generate_kwargs": {"width": -8}},
            {"reference_image": 42},
        ],
        ids=lambda call: next(iter(call)) + "-" + str(next(iter(call.values())))[:20],
    )
    def test_bad_input_is_a_configuration_error(self, make_client: Any, call: dict) -> None:
        call = dict(call)  # the parameter is shared by every subclass: do not change it
        prompt = call.pop("prompt", "a cat")
        with pytest.raises(ConfigurationError):
            make_client().generate(prompt, **call)

    def test_reference_image(self, make_client: Any, tmp_path: Path) -> None:
        import PIL.Image

        client = make_client()
        reference = PIL.Image.new("RGB", (16, 16), (10, 200, 30))
        if not client.spec.image_to_image:
            with pytest.raises(ConfigurationError):
                client.generate("a cat", reference_image=reference)
            return
        path = tmp_path / "reference.png"
        reference.save(path)
        for given in (reference, path, path.read_bytes()):
            images = self._generate(client, "the same, in blue", reference_image=given)
            assert len(images) == 1 and _size(images[0])

    # -- async ----------------------------------------------------------------------------

    def test_async_parity(self, make_async_client: Any) -> None:
        async def run() -> None:
            client = make_async_client()
            kwargs = {"generate_kwargs": self.generate_kwargs}
            for format in FORMATS:
                images = await client.generate("a tree", format=format, **kwargs)
                assert len(images) == 1 and _size(images[0])
            stream = await client.generate("a tree", num_images=2, stream=True, **kwargs)
            chunks = [c async for c in stream]
            assert [c.phase for c in chunks[-2:]] == [Phase.IMAGE, Phase.IMAGE]
            with pytest.raises(ConfigurationError):
                await client.generate("")

        asyncio.run(run())

    # -- faults ---------------------------------------------------------------------------

    @pytest.mark.parametrize("fault", list(IMAGE_FAULTS))
    @pytest.mark.parametrize("mode", ["sync-plain", "sync-stream", "async-plain", "async-stream"])
    def test_fault(
        self,
        fault: str,
        mode: str,
        model_string: str,
        client_options: dict[str, Any],
        arrange_fault: ArrangeFault,
        unreachable: tuple[str, dict[str, Any]],
        tmp_path: Path,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Each fault raises its aimu error, sync and async, streamed or not; no key shows."""
        if fault not in self.faults:
            pytest.skip(f"{type(self).__name__}.faults leaves {fault!r} out")
        if fault != "connection_refused" and arrange_fault is None:
            pytest.skip(f"{type(self).__name__} has no arrange_fault fixture")
        caplog.set_level(logging.DEBUG)
        options = {"output_dir": tmp_path, **client_options}
        if self.api_key_option:
            options[self.api_key_option] = IMAGE_FAULT_API_KEY
        if fault == "timeout":
            options[self.timeout_option] = IMAGE_FAULT_TIMEOUT
        if fault == "connection_refused":
            model_string, refused = unreachable
            options = {**options, **{k: v for k, v in refused.items() if k == "base_url"}}
            prompt = "a lighthouse"
        else:
            assert arrange_fault is not None
            prompt = arrange_fault(fault)
        error = _provoke(model_string, options, prompt, mode, self.generate_kwargs)
        expected = IMAGE_FAULTS[fault]
        assert isinstance(error, expected), (
            f"{mode}-{fault} raised {type(error).__name__}, expected {expected.__name__}: {error}"
        )
        if fault == "rate_limit":
            assert isinstance(error, RateLimitError) and error.retry_after == self.retry_after
        if fault == "safety":
            assert isinstance(error, ContentBlockedError) and str(error)
        shown = {
            "str": str(error),
            "repr": repr(error),
            "traceback": "".join(traceback.format_exception(error)),
            "logging": caplog.text,
        }
        leaks = [where for where, text in shown.items() if IMAGE_FAULT_API_KEY in text]
        assert not leaks, f"{mode}-{fault}: the API key shows in {leaks}"


def _provoke(
    model_string: str, options: dict[str, Any], prompt: str, mode: str, kwargs: dict[str, Any]
) -> BaseException:
    asynchronous, stream = mode.startswith("async"), mode.endswith("stream")
    try:
        if not asynchronous:
            client = aimu_core.image_client(model_string, **options)
            result = client.generate(prompt, generate_kwargs=kwargs, stream=stream)
            if stream:
                list(result)
        else:
            from aimu_core import aio

            async def run() -> None:
                client = aio.image_client(model_string, **options)
                result = await client.generate(prompt, generate_kwargs=kwargs, stream=stream)
                if stream:
                    [c async for c in result]

            asyncio.run(run())
    except Exception as exc:  # any type: the test reports a raw one by name
        return exc
    pytest.fail(f"{mode}: the call succeeded")
