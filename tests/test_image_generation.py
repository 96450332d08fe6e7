"""The image surface: resolution, the factory, the base client's contract, and the kit.

The scripted image provider (``aimu_core.testing.scripted_images``) passes the
image conformance kit, the way a third party's provider would; the other tests
use it, or small providers defined here, through the real plugin machinery.
"""

from __future__ import annotations

import threading
import types
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aimu_core
import aimu_core.plugins
from aimu_core import aio
from aimu_core.errors import (
    AimuError,
    ConfigurationError,
    ContentBlockedError,
    ModelNotFoundError,
    PluginConflictError,
    PluginError,
    PluginUnavailableError,
    UnknownProviderError,
)
from aimu_core.hookspecs import hookimpl
from aimu_core.images import (
    AdHocImageModel,
    BaseImageClient,
    ImageClient,
    ImageModel,
    ImageSpec,
    StreamAbandoned,
    resolve_image_model,
)
from aimu_core.models import Phase
from aimu_core.plugins import PluginManager
from aimu_core.policy import Policy
from aimu_core.records import ImageProvider
from aimu_core.testing import scripted_images
from aimu_core.testing.image_conformance import ImageProviderConformance
from aimu_core.testing.scripted_images import ScriptedImageClient, ScriptedImageModel


@pytest.fixture(autouse=True, scope="module")
def _scripted_images() -> Iterator[None]:
    aimu_core.plugins.register(scripted_images)
    yield
    aimu_core.plugins.unregister(scripted_images)


# -- the kit, on both scripted models ----------------------------------------------------


class TestScriptedSketch(ImageProviderConformance):
    """Like a local diffusion model: steps, seeds, reference images."""

    model = "scripted:sketch"
    generate_kwargs = {"width": 24, "height": 16, "steps": 2}
    faults = ("authentication", "rate_limit", "server_error", "safety")
    api_key_option = ""

    @pytest.fixture
    def arrange_fault(self) -> Any:
        return lambda kind: f"fail:{kind}"


class TestScriptedPoster(ImageProviderConformance):
    """Like a cloud model: fixed sizes, no steps, encoded bytes, no reference images."""

    model = "scripted:poster"
    generate_kwargs = {"width": 48, "height": 32}
    faults = ("authentication", "safety")
    api_key_option = ""

    @pytest.fixture
    def arrange_fault(self) -> Any:
        return lambda kind: f"fail:{kind}"


# -- resolution -----------------------------------------------------------------------------


def test_one_prefix_names_a_text_and_an_image_provider():
    """``scripted`` is both; each surface resolves in its own namespace."""
    image = resolve_image_model("scripted:sketch")
    assert image.model is ScriptedImageModel.SKETCH
    assert aimu_core.resolve_model_string("scripted:scripted").provider.name == "scripted"
    assert type(aimu_core.client("scripted:scripted").client).__name__ == "ScriptedClient"
    assert isinstance(aimu_core.image_client("scripted:sketch").client, ScriptedImageClient)


def test_the_factory_takes_a_member_a_spec_or_a_string():
    for model in (ScriptedImageModel.POSTER, ScriptedImageModel.POSTER.spec, "scripted:poster"):
        client = ImageClient(model)
        assert client.model is ScriptedImageModel.POSTER
        assert client.model_string == "scripted:poster"
        assert repr(client) == "ImageClient('scripted:poster')"


def test_an_open_catalog_takes_any_id_as_an_ad_hoc_model():
    client = aimu_core.image_client("scripted:/models/my-pipeline")
    assert isinstance(client.model, AdHocImageModel)
    assert client.model.value == "/models/my-pipeline"
    assert client.spec.image_to_image


@pytest.mark.parametrize(
    ("text", "error", "words"),
    [
        ("", ConfigurationError, "empty"),
        ("sketch", ConfigurationError, "names no provider"),
        ("scripted:", ConfigurationError, "no model id"),
        ("nope:x", UnknownProviderError, "Installed: .*scripted"),
        ("Bad Prefix:x", UnknownProviderError, "lower-case"),
        ("scripted:sketch@http://127.0.0.1:1", ConfigurationError, "does not take a base URL"),
    ],
)
def test_bad_image_model_strings(text: str, error: type, words: str):
    with pytest.raises(error, match=words):
        resolve_image_model(text)


def test_an_unknown_id_in_a_closed_catalog_suggests_close_matches():
    manager = PluginManager([_provider_plugin("closed", open_catalog=False)], builtin=False)
    with pytest.raises(ModelNotFoundError, match="Did you mean 'pic'"):
        resolve_image_model("closed:pik", manager=manager)


def test_the_default_image_model_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("AIMU_IMAGE_MODEL", "scripted:poster")
    assert aimu_core.image_client().model is ScriptedImageModel.POSTER
    monkeypatch.delenv("AIMU_IMAGE_MODEL")
    with pytest.raises(ConfigurationError, match=r"AIMU_IMAGE_MODEL.*scripted:sketch"):
        aimu_core.generate_image("a cat")


def test_without_image_providers_the_error_says_what_to_install(monkeypatch):
    monkeypatch.delenv("AIMU_IMAGE_MODEL", raising=False)
    manager = PluginManager([], builtin=False, policy=Policy(autoload=False))
    with pytest.raises(ConfigurationError, match="pip install 'aimu-hf\\[images\\]'"):
        resolve_image_model(None, manager=manager)


def test_two_plugins_claiming_one_image_prefix_conflict():
    one, two = _provider_plugin("dup"), _provider_plugin("dup")
    manager = PluginManager([one, two], builtin=False, policy=Policy(autoload=False))
    with pytest.raises(PluginConflictError, match="claimed by"):
        resolve_image_model("dup:pic", manager=manager)


def test_a_text_prefix_does_not_make_an_image_provider():
    manager = PluginManager([], builtin=True, policy=Policy(autoload=False))
    with pytest.raises(UnknownProviderError):
        resolve_image_model("scripted:sketch", manager=manager)


def test_a_blocked_image_plugin_is_unavailable_and_never_builds():
    plugin = _provider_plugin("blocked")
    manager = PluginManager(
        [plugin], builtin=False, policy=Policy(autoload=False, deny=frozenset({"aimufx-images"}))
    )
    assert manager.plugins[0].status == "blocked"
    with pytest.raises(UnknownProviderError):
        resolve_image_model("blocked:pic", manager=manager)


def test_an_image_record_needs_an_image_catalog():
    with pytest.raises(ValueError, match="ImageModel"):
        ImageProvider(name="x", client="m:C", models=Phase)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="open_catalog"):
        ImageProvider(name="x", client="m:C")


@pytest.mark.parametrize(
    ("path", "error", "words"),
    [
        ("aimu_core.no_such_module:Client", PluginUnavailableError, "cannot load its client"),
        ("aimu_core.errors:AimuError", PluginError, "not a subclass of aimu_core.images"),
    ],
)
def test_a_broken_client_path_is_a_plugin_error(path: str, error: type, words: str):
    manager = PluginManager([_provider_plugin("broken", client=path)], builtin=False)
    with pytest.raises(error, match=words):
        ImageClient("broken:pic", manager=manager)


# -- the base client's contract -------------------------------------------------------------


def test_an_unusable_kwarg_warns_once_and_is_dropped():
    client = aimu_core.image_client("scripted:poster")
    with pytest.warns(UserWarning, match="does not use 'steps'"):
        client.generate("a", generate_kwargs={"steps": 4})
    assert "steps" not in client.requests[-1]["kwargs"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.generate("a", generate_kwargs={"steps": 4})


def test_kwargs_merge_spec_then_client_then_call():
    client = aimu_core.image_client(
        "scripted:sketch", default_generate_kwargs={"steps": 5, "seed": 1}
    )
    client.generate("a", generate_kwargs={"seed": 2, "negative_prompt": "fog", "strength": 0.3})
    assert client.requests[-1]["kwargs"] == {
        "steps": 5,
        "width": 32,
        "height": 32,
        "seed": 2,
        "negative_prompt": "fog",
        "strength": 0.3,
    }


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"steps": 51}, "out of range"),
        ({"width": 64, "height": 64}, "not one 'poster' makes"),
    ],
)
def test_spec_limits_are_checked(kwargs: dict, words: str):
    model = "scripted:sketch" if "steps" in kwargs else "scripted:poster"
    with pytest.raises(ConfigurationError, match=words):
        aimu_core.generate_image("a", model=model, generate_kwargs=kwargs)


def test_reference_images_from_data_urls_and_bad_ones():
    url = aimu_core.generate_image("a", model="scripted:sketch", format="data_url")
    image = aimu_core.generate_image("b", model="scripted:sketch", reference_image=url)
    assert image.size == (32, 32)
    with pytest.raises(ConfigurationError, match="not an image"):
        aimu_core.generate_image("b", model="scripted:sketch", reference_image=b"not an image")
    with pytest.raises(ConfigurationError, match="does not exist"):
        aimu_core.generate_image("b", model="scripted:sketch", reference_image="/no/such.png")
    with pytest.raises(ConfigurationError, match="download"):
        aimu_core.generate_image("b", model="scripted:sketch", reference_image="https://x/y.png")


def test_generate_image_returns_one_image_or_a_list():
    one = aimu_core.generate_image("a", model="scripted:sketch", format="bytes")
    two = aimu_core.generate_image("a", model="scripted:sketch", format="bytes", num_images=2)
    assert isinstance(one, bytes) and isinstance(two, list) and len(two) == 2


def test_path_format_writes_to_the_image_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("AIMU_IMAGE_DIR", str(tmp_path / "out"))
    path = aimu_core.generate_image("a", model="scripted:sketch", format="path")
    assert path.parent == tmp_path / "out" and path.suffix == ".png" and path.stat().st_size
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigurationError, match="Cannot write images"):
        aimu_core.generate_image("a", model="scripted:sketch", format="path", output_dir=blocker)


def test_a_safety_block_is_its_own_catchable_error():
    with pytest.raises(ContentBlockedError) as caught:
        aimu_core.generate_image("fail:safety", model="scripted:sketch")
    assert caught.value.reason == "SAFETY" and caught.value.provider == "scripted"


class _Broken(BaseImageClient):
    provider = "broken"
    result: Any = []

    def _generate(self, prompt, *, num_images, reference_image, kwargs, on_step):
        return self.result


@pytest.mark.parametrize(
    ("result", "words"),
    [([], "returned 0 images"), (["text"], "returned a str"), ([b"junk"], "not a PNG")],
)
def test_a_provider_breaking_the_contract_is_a_plugin_error(result: Any, words: str):
    client = _Broken(ScriptedImageModel.SKETCH)
    client.result = result
    with pytest.raises(PluginError, match=words):
        client.generate("a", format="bytes")


class _Slow(BaseImageClient):
    """Many steps; records how its work ended."""

    provider = "slow"
    SUPPORTED_KWARGS = frozenset({"steps"})

    def __init__(self, model: Any) -> None:
        super().__init__(model)
        self.ended: list[str] = []
        self.steps_done = 0
        self.running = self.most_at_once = 0
        self.gate = threading.Event()  # steps after the first wait for it
        self.gate.set()

    def _generate(self, prompt, *, num_images, reference_image, kwargs, on_step):
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            for step in range(1, 51):
                self.steps_done = step
                on_step(step, 50)
                self.gate.wait(10)
        except StreamAbandoned:
            self.ended.append("abandoned")
            raise
        finally:
            self.running -= 1
        self.ended.append("finished")
        import PIL.Image

        return [PIL.Image.new("RGB", (8, 8))] * num_images


def test_an_abandoned_stream_stops_the_work_at_the_next_step():
    client = _Slow(ScriptedImageModel.SKETCH)
    client.gate.clear()
    stream = client.generate("a", stream=True)
    first = next(stream)
    assert first.phase == Phase.IMAGE_GENERATING and first.content["total"] == 50
    stream.close()
    client.gate.set()
    with client._lock:  # the worker has let go: its work ended
        pass
    assert client.ended == ["abandoned"] and client.steps_done < 50
    assert len(client.generate("again")) == 1 and client.ended[-1] == "finished"


def test_an_error_in_the_worker_reaches_the_reader():
    stream = aimu_core.image_client("scripted:sketch").generate(
        "fail:rate_limit", stream=True, generate_kwargs={"steps": 3}
    )
    phases = []
    with pytest.raises(aimu_core.errors.RateLimitError):
        for chunk in stream:
            phases.append(chunk.phase)
    assert phases == [Phase.IMAGE_GENERATING]


def test_threads_sharing_a_sync_client_take_turns():
    client = _Slow(ScriptedImageModel.SKETCH)
    counts: list[int] = []

    def work() -> None:
        counts.append(len(client.generate("a")))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert counts == [1, 1, 1] and client.ended == ["finished"] * 3
    assert client.most_at_once == 1


def test_the_async_twin_runs_a_sync_only_provider_on_a_thread():
    manager = PluginManager(
        [_provider_plugin("threaded", client=f"{__name__}:_Slow")],
        builtin=False,
        policy=Policy(autoload=False),
    )

    async def run() -> list[Any]:
        client = aio.ImageClient("threaded:pic", manager=manager)
        assert type(client.client).__name__ == "ThreadedAsyncImageClient"
        stream = await client.generate("a", stream=True)
        return [chunk async for chunk in stream]

    import asyncio

    chunks = asyncio.run(run())
    assert [c.content["step"] for c in chunks[:-1]] == list(range(1, 51))
    assert chunks[-1].phase == Phase.IMAGE


def test_an_image_client_has_no_text_surface():
    client = aimu_core.image_client("scripted:sketch")
    for name in ("chat", "messages", "tools", "system_message"):
        assert not hasattr(client, name), name


# -- properties ---------------------------------------------------------------------------------

_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 2000),
    st.integers(10_000, 10**12),
    st.floats(allow_nan=True),
    st.text(max_size=8),
)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            ["steps", "guidance", "width", "height", "seed", "negative_prompt", "strength", "other"]
        ),
        _values,
    )
)
def test_any_kwargs_are_accepted_or_a_configuration_error(kwargs: dict[str, Any]):
    client = ScriptedImageClient(ScriptedImageModel.SKETCH)
    try:
        out = client._kwargs(kwargs)
    except ConfigurationError:
        return
    for key, value in out.items():
        assert value is not None
        if key in ("steps", "width", "height"):
            assert type(value) is int and value > 0
        if key in ("width", "height"):
            assert value <= 16384
        if key == "seed":
            assert type(value) is int
        if key == "guidance":
            assert 0 <= value < float("inf")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_any_model_string_resolves_or_raises_an_aimu_error(text: str):
    try:
        resolve_image_model(text)
    except AimuError as exc:
        assert len(str(exc)) < 600


# -- helpers ------------------------------------------------------------------------------------


class _PicModel(ImageModel):
    PIC = ImageSpec("pic")


def _provider_plugin(
    name: str, *, open_catalog: bool = False, client: str | None = None
) -> types.ModuleType:
    """A plugin object contributing one image provider, known to policy as aimufx-images."""
    module = types.ModuleType("aimufx_images")
    module.AIMU_PLUGIN_API = 1  # type: ignore[attr-defined]

    @hookimpl
    def aimu_image_providers() -> list[ImageProvider]:
        return [
            ImageProvider(
                name=name,
                client=client or "aimu_core.testing.scripted_images:ScriptedImageClient",
                models=_PicModel,
                open_catalog=open_catalog,
            )
        ]

    module.aimu_image_providers = aimu_image_providers  # type: ignore[attr-defined]
    return module


def test_a_missing_first_party_image_plugin_names_its_distribution():
    manager = PluginManager([], builtin=False, policy=Policy(autoload=False))
    with pytest.raises(UnknownProviderError, match="pip install aimu-gemini"):
        resolve_image_model("gemini:gemini-2.5-flash-image", manager=manager)


def test_an_image_plugin_whose_hook_raises_is_isolated_and_named():
    boom = types.ModuleType("aimu_boom")
    boom.AIMU_PLUGIN_API = 1  # type: ignore[attr-defined]

    @hookimpl
    def aimu_image_providers() -> list[ImageProvider]:
        raise RuntimeError("no GPU driver")

    boom.aimu_image_providers = aimu_image_providers  # type: ignore[attr-defined]
    manager = PluginManager([boom, scripted_images], builtin=False, policy=Policy(autoload=False))
    assert {p.name: p.status for p in manager.plugins} == {
        "aimu_boom": "failed",
        "aimu_core.testing.scripted_images": "loaded",
    }
    assert resolve_image_model("scripted:sketch", manager=manager).model.value == "sketch"
    with pytest.raises(PluginUnavailableError, match="no GPU driver"):
        resolve_image_model("boom:x", manager=manager)
