"""``aimu image "prompt" -m MODEL -o out.png``: generate images from the command line.

With ``-o`` each image is saved there, in the format its suffix names
(``out.png``, ``out.jpg``; ``out-1.png``, ``out-2.png`` for several), written
to a temporary file and renamed, so a crash never leaves half an image. Without
``-o`` they go to the current folder under fresh names. The paths are printed,
one per line. On a terminal a progress bar (tqdm) shows the denoising steps.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ._args import positive_int, prompt_text

__all__ = ["add_parser"]


def add_parser(commands: Any) -> None:
    image = commands.add_parser("image", help="generate images from a prompt")
    image.add_argument("prompt", type=prompt_text, help="what to draw ('-' reads stdin)")
    image.add_argument(
        "-m",
        "--model",
        help="image model string, e.g. hf:stabilityai/sd-turbo (default: AIMU_IMAGE_MODEL)",
    )
    image.add_argument(
        "-o",
        "--output",
        type=Path,
        help="the file to write (its suffix picks the format: .png, .jpg, .webp); "
        "default: new files in the current folder",
    )
    image.add_argument("-n", "--num-images", type=positive_int, default=1, help="how many")
    image.add_argument("--steps", type=positive_int, help="denoising steps")
    image.add_argument("--width", type=positive_int, help="width in pixels")
    image.add_argument("--height", type=positive_int, help="height in pixels")
    image.add_argument("--seed", type=int, help="a seed, for models that repeat with one")
    image.add_argument("--guidance", type=float, help="guidance scale")
    image.add_argument("--negative", help="what the image should not show (negative prompt)")
    image.add_argument("--reference", type=Path, help="an image to start from (image-to-image)")
    image.add_argument(
        "--option",
        nargs=2,
        action="append",
        default=[],
        metavar=("KEY", "VALUE"),
        help="a provider option or native generation kwarg, repeatable (VALUE is JSON when "
        "it parses, else a string)",
    )
    image.add_argument(
        "--no-progress", action="store_true", help="no progress bar, even on a terminal"
    )
    image.set_defaults(func=_image)


def _image(args: argparse.Namespace) -> int:
    from ..errors import ConfigurationError
    from ..images.client import ImageClient, load_client_class, resolve_image_model
    from ._args import _value

    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    if not prompt.strip():
        raise ConfigurationError("the prompt read from stdin is empty")
    resolved = resolve_image_model(args.model)
    cls = load_client_class(resolved)
    kwargs: dict[str, Any] = {
        "steps": args.steps,
        "width": args.width,
        "height": args.height,
        "seed": args.seed,
        "guidance": args.guidance,
        "negative_prompt": args.negative,
    }
    kwargs = {key: value for key, value in kwargs.items() if value is not None}
    options: dict[str, Any] = {}
    for key, text in args.option:
        if key in cls.NATIVE_KWARGS:
            kwargs[key] = _value(text)
        else:
            options[key] = _value(text)
    if args.output is None:
        options.setdefault("output_dir", Path.cwd())
    client = ImageClient(resolved, **options)
    output_format = "path" if args.output is None else "pil"
    chunks = client.generate(
        prompt,
        num_images=args.num_images,
        format=output_format,
        reference_image=args.reference,
        generate_kwargs=kwargs,
        stream=True,
    )
    images = _with_progress(chunks, enabled=not args.no_progress and sys.stderr.isatty())
    paths = images if args.output is None else _save(images, args.output)
    for path in paths:
        print(path)
    return 0


def _with_progress(chunks: Any, *, enabled: bool) -> list[Any]:
    """The images of an image stream; a tqdm bar of its steps on stderr when *enabled*."""
    from ..models.stream import Phase

    bar = None
    images = []
    try:
        for chunk in chunks:
            if chunk.phase == Phase.IMAGE:
                images.append(chunk.content)
            elif enabled:
                if bar is None:
                    from tqdm import tqdm

                    bar = tqdm(total=chunk.content["total"], unit="step", file=sys.stderr)
                bar.update(chunk.content["step"] - bar.n)
    finally:
        if bar is not None:
            bar.close()
    return images


def _save(images: list[Any], output: Path) -> list[Path]:
    """Write each PIL image to *output* (numbered when several), atomically."""
    from ..errors import ConfigurationError

    if len(images) == 1:
        targets = [output]
    else:
        targets = [
            output.with_name(f"{output.stem}-{i}{output.suffix}") for i in range(1, 1 + len(images))
        ]
    for image, target in zip(images, targets, strict=True):
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            image.save(temporary, format=_format_of(target))
            os.replace(temporary, target)
        except (OSError, ValueError, KeyError) as exc:
            temporary.unlink(missing_ok=True)
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ConfigurationError(f"cannot write {str(target)!r}: {reason}") from None
    return targets


def _format_of(path: Path) -> str:
    """Pillow's format name for *path*'s suffix; a clear error for one it cannot write."""
    from PIL import Image

    from ..errors import ConfigurationError

    Image.init()
    fmt = Image.EXTENSION.get(path.suffix.lower())
    if fmt is None or fmt not in Image.SAVE:
        raise ConfigurationError(
            f"-o {str(path)!r}: the suffix must name an image format Pillow writes "
            "(.png, .jpg, .webp ...)"
        )
    return fmt
