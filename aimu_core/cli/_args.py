"""Arguments shared by the subcommands that talk to a model (``chat``, ``complete``).

``-o KEY VALUE`` sets a provider option (a client constructor argument such as
``n_ctx`` or ``api_key``) or a generation kwarg (``temperature``, ``stop``, or
one of the provider's native kwargs): the provider's client class says which.
VALUE is read as JSON when it parses (``8192``, ``0.2``, ``true``,
``'["\\n\\n"]'``), else taken as a string.
"""

from __future__ import annotations

import argparse
import inspect
import json
from typing import Any

from ..errors import ConfigurationError, quoted

__all__ = ["add_model_arguments", "client_from_args", "option_names", "positive_int"]


def positive_int(text: str) -> int:
    """An integer > 0, as the portable ``max_tokens`` must be; else an argparse usage error."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not an integer > 0")
    return value


def prompt_text(text: str) -> str:
    """A prompt that is not empty (``-`` stays: it means stdin and is checked once read)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the prompt is empty: give a message, or '-' for stdin")
    return text


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """``-m``, ``-o``, ``--max-tokens`` and ``--no-stream``."""
    parser.add_argument(
        "-m",
        "--model",
        help="model string, e.g. llamacpp:gemma-3-270m (default: "
        "AIMU_LANGUAGE_MODEL, then a locally available model)",
    )
    parser.add_argument(
        "-o",
        "--option",
        nargs=2,
        action="append",
        default=[],
        metavar=("KEY", "VALUE"),
        help="a provider option or generation kwarg, repeatable: -o n_ctx 8192 -o temperature "
        "0.2 (VALUE is JSON when it parses, else a string; `aimu models --options MODEL` "
        "lists the keys)",
    )
    parser.add_argument(
        "--max-tokens", type=positive_int, help="limit the reply's length (an integer > 0)"
    )
    parser.add_argument("--no-stream", action="store_true", help="print the reply when complete")


def client_from_args(args: argparse.Namespace, **options: Any) -> tuple[Any, dict[str, Any]]:
    """Build the client ``-m``/``-o`` ask for; return it and the generation kwargs to call with."""
    from ..models import ModelClient
    from ..models.client import resolve

    resolved = resolve(args.model)
    generation_keys, option_keys = option_names(resolved)
    kwargs: dict[str, Any] = {}
    for key, text in args.option:
        value = _value(text)
        if key in generation_keys:
            kwargs[key] = value
        elif key in option_keys:
            options[key] = value
        elif key == "model":
            raise ConfigurationError("-o model is not an option: choose the model with -m")
        else:
            raise ConfigurationError(
                f"-o {quoted(key)} is not an option of {resolved.model_string}: provider "
                f"options are {', '.join(option_keys)}; generation kwargs are "
                f"{', '.join(sorted(generation_keys))} (aimu models --options MODEL)"
            )
    if args.max_tokens is not None:
        kwargs["max_tokens"] = args.max_tokens
    return ModelClient(resolved, **options), kwargs


def option_names(resolved: Any) -> tuple[set[str], list[str]]:
    """The generation kwargs and the constructor options of *resolved*'s client class.

    Constructor options are its keyword parameters and those of the client base
    class; a provider that takes ``**kwargs`` may accept more, and says so itself.
    """
    from ..models.base import BaseModelClient
    from ..models.client import load_client_class
    from ..models.generate_kwargs import PORTABLE_KWARGS

    cls = load_client_class(resolved)
    supported = getattr(cls, "GENERATE_KWARGS", {}) or {}
    native: frozenset[str] = getattr(cls, "NATIVE_KWARGS", frozenset()) or frozenset()
    generation = {k for k in PORTABLE_KWARGS if k in supported} | set(native)
    options: list[str] = []
    for klass in (cls, BaseModelClient):
        for name, param in inspect.signature(klass).parameters.items():
            if name != "model" and param.kind in (
                param.KEYWORD_ONLY,
                param.POSITIONAL_OR_KEYWORD,
            ):
                if name not in options:
                    options.append(name)
    return generation, options


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
