"""One generation on a loaded pipeline: aimu's portable kwargs in diffusers' words.

Portable name -> diffusers argument:

* ``steps`` -> ``num_inference_steps``. It counts the denoising steps that
  actually run, text-to-image or image-to-image alike: diffusers runs only
  ``int(num_inference_steps * strength)`` of them on a reference image, so
  image-to-image asks for ``steps / strength`` (SD-Turbo's "2 steps at strength
  0.5" is ``steps=1``), and ``on_step`` always counts to ``steps``;
* ``guidance`` -> ``guidance_scale``; ``negative_prompt`` as is;
* ``width`` / ``height`` as is; on image-to-image the reference image is
  resized to them (diffusers takes the size from the image there);
* ``seed`` -> a ``torch.Generator`` on the CPU seeded with it, so a seed gives
  the same image on any device the pipeline runs on.

The client's native kwargs (``strength``, ``eta``, ``max_sequence_length``...)
pass through. A kwarg the pipeline's ``__call__`` does not take (``strength``
without a reference image, ``negative_prompt`` on a pipeline without one)
warns once per pipeline class and is dropped.
"""

from __future__ import annotations

import functools
import inspect
import math
import sys
import threading
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from aimu_core.provider import ConfigurationError, ProviderError, quoted

from ._pipeline_cache import LoadedPipeline

__all__ = ["run"]

_PORTABLE = {
    "steps": "num_inference_steps",
    "guidance": "guidance_scale",
    "negative_prompt": "negative_prompt",
    "width": "width",
    "height": "height",
}
_warned: set[tuple[str, str]] = set()
_warned_lock = threading.Lock()


def run(
    get_loaded: Callable[[], LoadedPipeline],
    prompt: str,
    *,
    num_images: int,
    reference_image: Any,
    kwargs: Mapping[str, Any],
    on_step: Callable[[int, int], None],
) -> list[Any]:
    """Generate *num_images* PIL images, one generation at a time per loaded pipeline.

    *get_loaded* returns the client's loaded pipeline; it is asked again when
    the one it gave was unloaded while this call waited for the lock.
    """
    while True:
        loaded = get_loaded()
        with loaded.lock:
            if loaded.closed:
                continue
            pipe = loaded.text2image if reference_image is None else loaded.image2image()
            call = _call_kwargs(pipe, loaded, num_images, reference_image, kwargs, on_step)
            try:
                output = pipe(prompt, **call)
            except ValueError as exc:  # diffusers' check_inputs: sizes, strength, lengths
                raise ConfigurationError(
                    f"hf:{quoted(loaded.source)} refused the call: {exc}"
                ) from exc
            except RuntimeError as exc:
                raise _runtime_error(exc, loaded) from exc
            loaded.generations += 1
            return list(output.images)


def _call_kwargs(
    pipe: Any,
    loaded: LoadedPipeline,
    num_images: int,
    reference_image: Any,
    kwargs: Mapping[str, Any],
    on_step: Callable[[int, int], None],
) -> dict[str, Any]:
    accepted = _parameters(pipe.__class__)
    call: dict[str, Any] = {"num_images_per_prompt": num_images, "output_type": "pil"}
    for name, value in kwargs.items():
        if name in _PORTABLE or name == "seed":
            continue
        if name in accepted:
            call[name] = value
        else:
            _warn_once(type(pipe).__name__, name)
    width, height = kwargs.get("width"), kwargs.get("height")
    _check_size(width, height, pipe)
    for name, target in _PORTABLE.items():
        if kwargs.get(name) is None:
            continue
        if reference_image is not None and name in ("width", "height"):
            continue  # resizes the reference image below
        if target not in accepted:
            _warn_once(type(pipe).__name__, name)
            continue
        call[target] = kwargs[name]
    if reference_image is not None:
        if width is not None or height is not None:
            size = (width or reference_image.width, height or reference_image.height)
            reference_image = reference_image.resize(size)
        call["image"] = reference_image.convert("RGB")
        if "num_inference_steps" in call and "strength" in accepted:
            strength = call.get("strength", accepted["strength"].default)
            call["num_inference_steps"] = _steps_for_strength(call["num_inference_steps"], strength)
    if kwargs.get("seed") is not None:
        call["generator"] = _generator(kwargs["seed"])
    total = call.get("num_inference_steps")

    def step_end(p: Any, index: int, timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
        on_step(index + 1, int(getattr(p, "num_timesteps", None) or total or index + 1))
        return tensors

    call["callback_on_step_end"] = step_end
    return call


@functools.cache
def _parameters(pipeline_class: Any) -> Mapping[str, inspect.Parameter]:
    return inspect.signature(pipeline_class.__call__).parameters


def _check_size(width: Any, height: Any, pipe: Any) -> None:
    multiple = int(getattr(pipe, "vae_scale_factor", 8) or 8)
    for name, value in (("width", width), ("height", height)):
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ConfigurationError(f"{name}={value!r} must be a positive number of pixels")
        if value % multiple:
            raise ConfigurationError(
                f"{name}={value} must be a multiple of {multiple} for {type(pipe).__name__} "
                f"(its VAE scales by {multiple}); try {max(multiple, value // multiple * multiple)}"
            )


def _steps_for_strength(steps: Any, strength: Any) -> Any:
    """``num_inference_steps`` that makes diffusers run *steps* steps at *strength*."""
    if (
        not isinstance(steps, int)
        or not isinstance(strength, (int, float))
        or not 0 < strength <= 1
    ):
        return steps  # diffusers' own check says what is wrong
    asked = math.ceil(steps / strength)
    while int(asked * strength) < steps:  # float rounding
        asked += 1
    return asked


def _generator(seed: Any) -> Any:
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
        raise ConfigurationError(f"seed={seed!r} must be an integer from 0 to 2**63 - 1")
    import torch

    return torch.Generator(device="cpu").manual_seed(seed)


def _warn_once(pipeline: str, name: str) -> None:
    with _warned_lock:
        if (pipeline, name) in _warned:
            return
        _warned.add((pipeline, name))
    warnings.warn(
        f"{pipeline} has no use for generate_kwargs {name!r}; it is ignored",
        UserWarning,
        stacklevel=_user_frame(),
    )


def _user_frame() -> int:
    """The stacklevel of the first caller outside aimu (the warning points at user code)."""
    level, frame = 2, sys._getframe(2)
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("aimu_"):
        frame, level = frame.f_back, level + 1
    return level


def _runtime_error(exc: RuntimeError, loaded: LoadedPipeline) -> Exception:
    if "out of memory" in str(exc).lower():
        return ProviderError(
            f"hf:{quoted(loaded.source)} ran out of memory on {loaded.device}: ask for fewer or "
            "smaller images, or load with cpu_offload=True",
            provider="hf",
        )
    return ProviderError(
        f"hf:{quoted(loaded.source)} failed: {type(exc).__name__}: {str(exc)[:300]}", provider="hf"
    )
