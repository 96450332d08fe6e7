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
* ``diffusers`` (aimu-hf): added as its own function beside this one.

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


#: backend name -> (plugin module it needs, bench function)
BENCHES: dict[str, tuple[str, Callable[[argparse.Namespace], list[Result]]]] = {
    "gemini": ("aimu_gemini", bench_gemini),
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
