"""aimu's image-generation overhead against calling each backend directly, side by side.

Each backend is a ``bench_<name>(args) -> list[Result]`` function registered in
``BENCHES`` with the plugin module it needs; main runs those installed. Calls
alternate aimu/raw and raw/aimu round by round (``overhead.alternate``), so a
shared machine's drift hits both alike; each side does what a user would, and
the figure is the ratio of the median call times, plus the Python function
calls aimu adds (a count that does not drift).

* ``gemini``: aimu-gemini's ``generate()`` against the raw google-genai
  ``generate_content`` call, both on the loopback Gemini API
  (``aimu_gemini.testing.FakeGemini``, a 1024x1024 PNG per call). Two cases:
  the image as bytes (the raw side takes the inline data), and as a PIL image
  (the raw side decodes it with Pillow). Goal: <= 1.05x.
* ``diffusers``: aimu-hf's ``generate()`` on ``hf:<dir>`` against calling the
  same tiny random-weight pipeline (``aimu_hf.images_testing``) directly: 4
  steps, 64x64, seeded, a PIL image on both sides. Goal: <= 1.02x.

    python bench/image_overhead.py [--rounds 200] [--backend gemini]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
from collections.abc import Callable
from typing import Any

from overhead import Result, alternate

PROMPT = "a lighthouse at dusk, oil painting"
#: A seed keeps the fake's picture the same call after call (it caches it), so the
#: server's work is constant and small.
SEED = 7
GOAL_GEMINI = 1.05


def bench_gemini(args: argparse.Namespace) -> list[Result]:
    """``gemini:gemini-2.5-flash-image`` through aimu against ``google.genai.Client`` directly."""
    import PIL.Image
    from aimu_gemini.testing import FakeGemini
    from google import genai
    from google.genai import types

    import aimu_core

    key = "bench-key-0123456789"
    model = "gemini-2.5-flash-image"
    with FakeGemini() as api:
        client = aimu_core.image_client(f"gemini:{model}", base_url=api.url, api_key=key)
        raw = genai.Client(api_key=key, http_options=types.HttpOptions(base_url=api.url))
        config = types.GenerateContentConfig(response_modalities=["IMAGE"], seed=SEED)
        kwargs = {"seed": SEED}

        def raw_bytes() -> bytes:
            response = raw.models.generate_content(model=model, contents=[PROMPT], config=config)
            for part in response.candidates[0].content.parts:
                if part.inline_data is not None and part.inline_data.data:
                    return bytes(part.inline_data.data)
            raise AssertionError("no image in the reply")

        def raw_pil() -> Any:
            image = PIL.Image.open(io.BytesIO(raw_bytes()))
            image.load()
            return image

        def aimu_call(format: str) -> Callable[[], Any]:
            return lambda: client.generate(PROMPT, format=format, generate_kwargs=kwargs)[0]

        results = []
        for case, raw_call, fmt in (("bytes", raw_bytes, "bytes"), ("PIL image", raw_pil, "pil")):
            timing = alternate({"raw": raw_call, "aimu": aimu_call(fmt)}, args.rounds, warmup=5)
            results.append(Result("gemini", case, timing["raw"], timing["aimu"], GOAL_GEMINI))
            api.reset()
        raw.close()
    return results


#: Rounds for the diffusers case: a generation takes tens of milliseconds, not one.
DIFFUSERS_ROUNDS = 30
GOAL_DIFFUSERS = 1.02


def bench_diffusers(args: argparse.Namespace) -> list[Result]:
    """``hf:<tiny pipeline dir>`` through aimu against the same diffusers pipeline called directly.

    Both sides run the random-weight Stable Diffusion pipeline of
    ``aimu_hf.images_testing`` (4 steps, 64x64, guidance 7.5, seeded), each loaded
    once; aimu adds its checks, the kwargs translation, the step callback and the
    pipeline lock. torch runs on one thread, so both sides' compute stays alike on
    a shared machine.
    """
    if importlib.util.find_spec("diffusers") is None:
        print("diffusers: skipped (install aimu-hf[images])")
        return []
    import tempfile

    import torch
    from aimu_hf.images_testing import save_tiny_pipeline
    from diffusers import AutoPipelineForText2Image

    import aimu_core

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        path = str(save_tiny_pipeline(f"{folder}/pipeline"))
        client = aimu_core.image_client(f"hf:{path}")
        raw = AutoPipelineForText2Image.from_pretrained(path)
        raw.set_progress_bar_config(disable=True)
        kwargs = {"steps": 4, "guidance": 7.5, "width": 64, "height": 64, "seed": SEED}

        def raw_call() -> Any:
            generator = torch.Generator("cpu").manual_seed(SEED)
            return raw(
                PROMPT,
                num_inference_steps=4,
                guidance_scale=7.5,
                width=64,
                height=64,
                generator=generator,
            ).images[0]

        def aimu_call() -> Any:
            return client.generate(PROMPT, generate_kwargs=kwargs)[0]

        rounds = min(args.rounds, DIFFUSERS_ROUNDS)
        timing = alternate({"raw": raw_call, "aimu": aimu_call}, rounds, warmup=3)
    return [Result("diffusers", "PIL image", timing["raw"], timing["aimu"], GOAL_DIFFUSERS)]


#: backend name -> (plugin module it needs, bench function)
BENCHES: dict[str, tuple[str, Callable[[argparse.Namespace], list[Result]]]] = {
    "gemini": ("aimu_gemini", bench_gemini),
    "diffusers": ("aimu_hf", bench_diffusers),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="calls per side")
    parser.add_argument("--backend", action="append", help="only these backends (repeatable)")
    args = parser.parse_args()

    measured: list[Result] = []
    for name, (module, bench) in BENCHES.items():
        if args.backend and name not in args.backend:
            continue
        if importlib.util.find_spec(module) is None:
            print(f"{name}: skipped ({module} is not installed)")
            continue
        measured.extend(bench(args))

    print(f"{'backend':<10} {'case':<12} {'raw ms':>9} {'aimu ms':>9} {'ratio':>7}  goal")
    for r in measured:
        verdict = "ok" if r.ratio <= r.goal else "OVER"
        print(
            f"{r.provider:<10} {r.case:<12} {r.raw.seconds * 1e3:9.3f} "
            f"{r.aimu.seconds * 1e3:9.3f} {r.ratio:7.3f}  <= {r.goal:.2f} {verdict:<4}  "
            f"calls aimu adds: {r.added_calls}"
        )


if __name__ == "__main__":
    main()
