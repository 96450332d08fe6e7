"""aimu-hf images: a tiny random-weight Stable Diffusion pipeline, built in the test and
loaded through ``hf:<directory>`` like any user's pipeline, through the real diffusers
loading and generation code.

Every client here uses the default load options, so they share one loaded pipeline
(the tests that need another options set say so).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest
from aimu_hf import images as hf_images
from aimu_hf._pipeline_cache import LoadOptions, _load_error, plan_memory
from aimu_hf._pipeline_call import _check_size, _steps_for_strength
from aimu_hf.images_testing import save_unconditional_pipeline
from hypothesis import given
from hypothesis import strategies as st

import aimu_core
import aimu_core.aio
from aimu_core.errors import ConfigurationError, ModelNotFoundError, ProviderConnectionError
from aimu_core.testing.imports import modules_after

SMALL = {"steps": 2, "width": 32, "height": 32}


@pytest.fixture
def model(tiny_pipeline_dir: str) -> str:
    return f"hf:{tiny_pipeline_dir}"


@pytest.fixture
def client(model: str) -> Any:
    return aimu_core.image_client(model, default_generate_kwargs=SMALL)


def pixels(image: Any) -> bytes:
    return bytes(image.convert("RGB").tobytes())


# -- text-to-image, image-to-image, formats -----------------------------------------------


def test_text_to_image_returns_pil_images_of_the_asked_size(client: Any) -> None:
    [image] = client.generate("a lighthouse at dusk", generate_kwargs={"width": 48, "height": 24})
    assert image.size == (48, 24)
    assert image.mode == "RGB"


def test_num_images_gives_that_many_different_images(client: Any) -> None:
    images = client.generate("a fox", num_images=3, generate_kwargs={"seed": 5})
    assert len(images) == 3
    assert len({pixels(image) for image in images}) == 3


def test_every_format(client: Any, tmp_path: Path) -> None:
    kwargs = {"seed": 1}
    [pil] = client.generate("a fox", generate_kwargs=kwargs)
    [png] = client.generate("a fox", format="bytes", generate_kwargs=kwargs)
    [url] = client.generate("a fox", format="data_url", generate_kwargs=kwargs)
    writer = aimu_core.image_client(
        client.model_string, default_generate_kwargs=SMALL, output_dir=tmp_path
    )
    [path] = writer.generate("a fox", format="path", generate_kwargs=kwargs)

    from PIL import Image

    assert png.startswith(b"\x89PNG")
    assert url.startswith("data:image/png;base64,")
    assert Path(path).parent == tmp_path and Path(path).suffix == ".png"
    for decoded in (Image.open(io.BytesIO(png)), Image.open(path)):
        assert pixels(decoded) == pixels(pil)


def test_seed_reproduces_the_images_across_clients(model: str) -> None:
    first = aimu_core.image_client(model, default_generate_kwargs=SMALL)
    second = aimu_core.image_client(model, default_generate_kwargs=SMALL)
    a = first.generate("a fox", num_images=2, generate_kwargs={"seed": 42})
    b = second.generate("a fox", num_images=2, generate_kwargs={"seed": 42})
    c = first.generate("a fox", num_images=2, generate_kwargs={"seed": 43})
    assert [pixels(i) for i in a] == [pixels(i) for i in b]
    assert pixels(a[0]) != pixels(c[0])


def test_guidance_and_negative_prompt_reach_the_pipeline(client: Any) -> None:
    def make(**kwargs: Any) -> bytes:
        return pixels(client.generate("a fox", generate_kwargs={"seed": 3, **kwargs})[0])

    plain = make(guidance=1.0)
    guided = make(guidance=7.0)
    negative = make(guidance=7.0, negative_prompt="blurry")
    assert len({plain, guided, negative}) == 3
    # the prompt itself reaches the text encoder
    assert make(guidance=1.0) != pixels(client.generate("a cat", generate_kwargs={"seed": 3})[0])


def test_image_to_image_starts_from_the_reference(client: Any, tmp_path: Path) -> None:
    from PIL import Image

    red, blue = Image.new("RGB", (32, 32), "red"), Image.new("RGB", (32, 32), "blue")
    kwargs = {"seed": 7, "strength": 0.5}
    [from_red] = client.generate("a fox", reference_image=red, generate_kwargs=kwargs)
    [from_blue] = client.generate("a fox", reference_image=blue, generate_kwargs=kwargs)
    assert from_red.size == (32, 32)
    assert pixels(from_red) != pixels(from_blue)
    # the reference may be a file; the same seed gives the same image from it
    red.save(tmp_path / "red.png")
    [again] = client.generate("a fox", reference_image=tmp_path / "red.png", generate_kwargs=kwargs)
    assert pixels(again) == pixels(from_red)
    # width and height resize the reference image
    [wide] = client.generate(
        "a fox", reference_image=red, generate_kwargs={**kwargs, "width": 48, "height": 16}
    )
    assert wide.size == (48, 16)


# -- streaming ------------------------------------------------------------------------------


def test_stream_reports_each_denoising_step_then_the_images(client: Any) -> None:
    chunks = list(client.generate("a fox", num_images=2, stream=True, generate_kwargs={"steps": 3}))
    progress = [c.content for c in chunks if c.phase == "image_generating"]
    images = [c.content for c in chunks if c.phase == "image"]
    assert progress == [{"step": s, "total": 3} for s in (1, 2, 3)]
    assert len(images) == 2 and chunks[-2:] == [c for c in chunks if c.phase == "image"]


@pytest.mark.parametrize("strength", [0.3, 0.5, 1.0])
def test_image_to_image_steps_count_the_steps_that_run(client: Any, strength: float) -> None:
    from PIL import Image

    chunks = client.generate(
        "a fox",
        reference_image=Image.new("RGB", (32, 32), "green"),
        stream=True,
        generate_kwargs={"steps": 2, "strength": strength},
    )
    progress = [c.content for c in chunks if c.phase == "image_generating"]
    assert progress == [{"step": 1, "total": 2}, {"step": 2, "total": 2}]


@given(steps=st.integers(1, 60), strength=st.floats(0.01, 1.0))
def test_steps_for_strength_asks_the_fewest_that_run_exactly_steps(
    steps: int, strength: float
) -> None:
    asked = _steps_for_strength(steps, strength)
    assert int(asked * strength) >= steps
    assert int((asked - 1) * strength) < steps


class _Pipeline:
    """What the size check reads of a pipeline: its VAE's scale."""

    def __init__(self, vae_scale_factor: int) -> None:
        self.vae_scale_factor = vae_scale_factor


@given(
    width=st.one_of(st.integers(-64, 2048), st.floats(1, 64), st.booleans(), st.none()),
    factor=st.sampled_from([2, 8, 16]),
)
def test_the_size_check_accepts_exactly_positive_multiples_of_the_vae_scale(
    width: Any, factor: int
) -> None:
    valid = width is None or (type(width) is int and width > 0 and width % factor == 0)
    try:
        _check_size(width, None, _Pipeline(factor))
    except ConfigurationError:
        assert not valid
    else:
        assert valid


def test_async_client_generates_and_streams(model: str) -> None:
    async def main() -> tuple[list[Any], list[Any]]:
        client = aimu_core.aio.image_client(model, default_generate_kwargs=SMALL)
        images = await client.generate("a fox", generate_kwargs={"seed": 9})
        stream = await client.generate("a fox", stream=True, generate_kwargs={"seed": 9})
        return images, [chunk async for chunk in stream]

    images, chunks = asyncio.run(main())
    assert [c.content for c in chunks[:-1]] == [{"step": 1, "total": 2}, {"step": 2, "total": 2}]
    assert pixels(chunks[-1].content) == pixels(images[0])


def test_abandoned_stream_stops_the_generation(model: str) -> None:
    client = aimu_core.image_client(model, default_generate_kwargs=SMALL)
    stream = client.generate("a fox", stream=True, generate_kwargs={"steps": 20})
    first = next(stream)
    assert first.content == {"step": 1, "total": 20}
    stream.close()
    # the pipeline is free again: a new call does not wait for 19 abandoned steps' lock
    [image] = client.generate("a fox")
    assert image.size == (32, 32)


# -- kwargs the pipeline cannot use --------------------------------------------------------


def test_a_native_kwarg_the_pipeline_does_not_take_warns_once(client: Any) -> None:
    with pytest.warns(
        UserWarning, match="StableDiffusionPipeline has no use for .*max_sequence_length"
    ):
        client.generate("a fox", generate_kwargs={"max_sequence_length": 32})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.generate("a fox", generate_kwargs={"max_sequence_length": 32})


# -- bad input, typed -------------------------------------------------------------------------


def test_missing_directory_is_model_not_found(tmp_path: Path) -> None:
    client = aimu_core.image_client(f"hf:{tmp_path / 'nowhere'}")
    with pytest.raises(ModelNotFoundError, match="No diffusers pipeline directory"):
        client.generate("a fox")


@pytest.mark.parametrize("model_id", ["a/b/c", "bad id!"])
def test_an_id_neither_a_directory_nor_a_hub_id_is_model_not_found(model_id: str) -> None:
    with pytest.raises(ModelNotFoundError, match="neither a pipeline directory nor a hub id"):
        aimu_core.generate_image("a fox", model=f"hf:{model_id}")


def test_directory_without_model_index_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ConfigurationError, match="no model_index.json"):
        aimu_core.generate_image("a fox", model=f"hf:{tmp_path}")


def test_wrong_pipeline_type_is_a_configuration_error(tmp_path: Path) -> None:
    directory = save_unconditional_pipeline(tmp_path / "ddpm")
    with pytest.raises(ConfigurationError, match="DDPMPipeline, which is not a text-to-image"):
        aimu_core.generate_image("a fox", model=f"hf:{directory}")
    assert all(p.source != str(directory) for p in hf_images.cache_info().pipelines)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"width": 33}, "width=33 must be a multiple of 2"),
        ({"height": 0}, "height"),
        ({"seed": -1}, "seed=-1 must be an integer from 0"),
        ({"steps": 0}, "steps"),
        ({"guidance": -1}, "guidance"),
        ({"sampler": "euler"}, "Unknown image generation kwarg"),
    ],
)
def test_bad_generation_kwargs_are_configuration_errors(
    client: Any, kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(ConfigurationError, match=match):
        client.generate("a fox", generate_kwargs=kwargs)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"dtype": "int8"}, "dtype='int8' must be one of"),
        ({"cpu_offload": "yes"}, "cpu_offload='yes' must be True, False or None"),
        ({"device": ""}, "device=''"),
        ({"pipeline_kwargs": {"torch_dtype": "float16"}}, "through the client options"),
        ({"pipeline_kwargs": {"variant": ["fp16"]}}, "must be hashable"),
    ],
)
def test_bad_client_options_are_refused_when_the_client_is_made(
    model: str, options: dict[str, Any], match: str
) -> None:
    with pytest.raises(ConfigurationError, match=match):
        aimu_core.image_client(model, **options)


def test_a_bad_prompt_and_a_missing_reference_file_are_refused(client: Any, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        client.generate("   ")
    with pytest.raises(ConfigurationError, match="does not exist"):
        client.generate("a fox", reference_image=tmp_path / "missing.png")


def test_an_uncached_hub_id_offline_names_the_cache(tmp_path: Path) -> None:
    """In a fresh interpreter, as a user would meet it: HF_HUB_OFFLINE is read at import."""
    code = (
        "import json, sys\n"
        "import aimu_core\n"
        "from aimu_core.errors import ModelNotFoundError\n"
        "try:\n"
        "    aimu_core.generate_image('a fox', model='hf:stabilityai/sd-turbo')\n"
        "    message = None\n"
        "except ModelNotFoundError as exc:\n"
        "    message = str(exc)\n"
        "heavy = sorted(m for m in ('torch', 'diffusers') if m in sys.modules)\n"
        "print(json.dumps({'message': message, 'heavy': heavy}))\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf-home")}
    env.pop("HF_HUB_CACHE", None)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "hf:stabilityai/sd-turbo is not in the Hugging Face cache" in result["message"]
    assert str(tmp_path / "hf-home" / "hub") in result["message"]
    assert "HF_HUB_OFFLINE" in result["message"]
    assert result["heavy"] == []  # refused before torch or diffusers load


def _diffusers_style_error(cause: Exception | None) -> OSError:
    """The OSError diffusers raises for a hub id it could not fetch, chained like its own."""
    try:
        try:
            if cause is not None:
                raise cause
        finally:
            raise OSError("owner/model does not appear to have a file named model_index.json.")
    except OSError as exc:
        return exc


def test_an_unreachable_hub_is_a_connection_error_naming_the_cache() -> None:
    from huggingface_hub.errors import LocalEntryNotFoundError

    error = _load_error(_diffusers_style_error(LocalEntryNotFoundError("cannot reach")), "o/m")
    assert isinstance(error, ProviderConnectionError)
    assert "Hugging Face Hub is unreachable" in str(error) and "HF_HUB_OFFLINE" in str(error)
    missing = _load_error(_diffusers_style_error(None), "o/m")
    assert isinstance(missing, ModelNotFoundError) and not isinstance(
        missing, ProviderConnectionError
    )
    assert "not a diffusers pipeline on the Hugging Face Hub" in str(missing)


# -- the weight cache -------------------------------------------------------------------------


def test_clients_share_one_loaded_pipeline_until_unloaded(tiny_pipeline_dir: str) -> None:
    model = f"hf:{tiny_pipeline_dir}"
    first = aimu_core.image_client(model, default_generate_kwargs=SMALL)
    first.generate("a fox")  # loaded (or already loaded by an earlier test)
    before = hf_images.cache_info()
    second = aimu_core.image_client(model, default_generate_kwargs=SMALL)
    second.generate("a fox")
    after = hf_images.cache_info()
    assert after.loads == before.loads and after.hits == before.hits + 1
    source = os.path.realpath(tiny_pipeline_dir)
    [info] = [p for p in after.pipelines if (p.source, p.options) == (source, LoadOptions())]
    assert (info.pipeline, info.device, info.dtype) == ("StableDiffusionPipeline", "cpu", "float32")
    assert not info.cpu_offload and not info.attention_slicing

    assert hf_images.unload(tiny_pipeline_dir) == 1
    assert all(p.source != info.source for p in hf_images.cache_info().pipelines)
    [image] = second.generate("a fox")  # loads it again
    assert image.size == (32, 32)
    assert hf_images.cache_info().loads == after.loads + 1


def test_other_load_options_load_another_pipeline(tiny_pipeline_dir: str) -> None:
    model = f"hf:{tiny_pipeline_dir}"
    default = aimu_core.image_client(model, default_generate_kwargs=SMALL)
    explicit = aimu_core.image_client(
        model, device="cpu", dtype="bfloat16", default_generate_kwargs=SMALL
    )
    default.generate("a fox")
    [image] = explicit.generate("a fox")
    assert image.size == (32, 32)
    infos = {p.options.dtype: p for p in hf_images.cache_info().pipelines}
    assert infos["bfloat16"].dtype == "bfloat16" and infos[None].dtype == "float32"
    assert hf_images.unload(tiny_pipeline_dir) == 2  # both


# -- two threads ------------------------------------------------------------------------------


def test_two_threads_sharing_a_client_each_get_their_own_images(client: Any) -> None:
    """The two calls run one after the other; each gets what it would have got alone."""
    seeds = [11, 12, 13, 14]
    alone = {
        seed: pixels(client.generate("a fox", generate_kwargs={"seed": seed})[0]) for seed in seeds
    }
    together: dict[int, bytes] = {}

    def work(seed: int) -> None:
        together[seed] = pixels(client.generate("a fox", generate_kwargs={"seed": seed})[0])

    threads = [threading.Thread(target=work, args=(seed,)) for seed in seeds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert together == alone


def test_clients_sharing_a_pipeline_generate_one_at_a_time(model: str) -> None:
    """Two clients, one loaded pipeline: the second waits for the pipeline's lock."""
    holder = aimu_core.image_client(model, default_generate_kwargs=SMALL)
    other = aimu_core.image_client(model, default_generate_kwargs=SMALL)
    loaded = holder.load()
    result: list[Any] = []
    with loaded.lock:  # a generation in progress on another client
        worker = threading.Thread(target=lambda: result.extend(other.generate("a fox")))
        worker.start()
        worker.join(timeout=1.0)
        assert worker.is_alive() and result == []
    worker.join()
    assert len(result) == 1


def test_unload_during_a_generation_waits_for_it(model: str) -> None:
    client = aimu_core.image_client(model, default_generate_kwargs=SMALL)
    stream = client.generate("a fox", stream=True, generate_kwargs={"steps": 3})
    assert next(stream).content == {"step": 1, "total": 3}  # the generation holds the lock
    freed: list[int] = []
    unloader = threading.Thread(target=lambda: freed.append(hf_images.unload()))
    unloader.start()
    rest = list(stream)  # the generation finishes, then unload runs
    unloader.join()
    assert [c.content for c in rest[:2]] == [{"step": 2, "total": 3}, {"step": 3, "total": 3}]
    assert rest[-1].phase == "image" and freed == [1]


# -- memory plan, imports ---------------------------------------------------------------------

GiB = 2**30


@pytest.mark.parametrize(
    ("device", "gpu", "weights", "options", "expected"),
    [
        ("cpu", None, 10 * GiB, LoadOptions(), (False, False)),
        ("cuda", 80 * GiB, 7 * GiB, LoadOptions(), (False, False)),  # SDXL on a big GPU
        ("cuda", 8 * GiB, 7 * GiB, LoadOptions(), (True, False)),  # SDXL on 8 GiB: offload
        ("cuda", 4 * GiB, 1 * GiB, LoadOptions(), (False, True)),  # small GPU: slicing
        ("cuda", 8 * GiB, 7 * GiB, LoadOptions(cpu_offload=False), (False, False)),
        ("cuda", 80 * GiB, 1 * GiB, LoadOptions(attention_slicing=True), (False, True)),
    ],
)
def test_memory_plan(
    device: str, gpu: int | None, weights: int, options: LoadOptions, expected: tuple[bool, bool]
) -> None:
    plan = plan_memory(device, gpu, weights, options)
    assert (plan["cpu_offload"], plan["attention_slicing"]) == expected


def test_discovery_and_client_creation_import_neither_torch_nor_diffusers(
    tiny_pipeline_dir: str,
) -> None:
    loaded = modules_after(
        f"import aimu_core; aimu_core.image_client('hf:{tiny_pipeline_dir}')\n"
        "import aimu_core.plugins\n",
        prefix="",
    )
    assert not {"torch", "diffusers", "transformers"} & loaded
