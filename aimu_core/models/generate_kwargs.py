"""Portable generation kwargs and their per-provider translation.

Users pass one vocabulary (``temperature``, ``max_tokens``, ...) whatever the
provider. Each client class maps those names to its API's in
``GENERATE_KWARGS``; a portable key the provider cannot honour is dropped with
one warning per process, an unknown key is rejected. Provider-specific keys a
client lists in ``NATIVE_KWARGS`` pass through unchanged.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from numbers import Real
from typing import Any

from ..errors import ConfigurationError, quoted

__all__ = ["PORTABLE_KWARGS", "merge_kwargs", "translate_kwargs"]

#: The portable names and a check each value must pass.
PORTABLE_KWARGS: dict[str, str] = {
    "temperature": "a number >= 0",
    "top_p": "a number between 0 and 1",
    "top_k": "an integer >= 0",
    "max_tokens": "an integer > 0",
    "stop": "a string or a list of strings",
    "seed": "an integer",
    "context_length": "an integer > 0",
    "presence_penalty": "a number",
    "frequency_penalty": "a number",
    "repeat_penalty": "a number",
}

_warned: set[tuple[str, str | None, str]] = set()


def _valid(key: str, value: Any) -> bool:
    is_int = isinstance(value, int) and not isinstance(value, bool)
    is_num = isinstance(value, Real) and not isinstance(value, bool)
    match key:
        case "temperature":
            return is_num and value >= 0
        case "top_p":
            return is_num and 0 <= value <= 1
        case "top_k":
            return is_int and value >= 0
        case "max_tokens" | "context_length":
            return is_int and value > 0
        case "stop":
            return isinstance(value, str) or (
                isinstance(value, (list, tuple)) and all(isinstance(s, str) for s in value)
            )
        case "seed":
            return is_int
        case _:
            return is_num


def merge_kwargs(*tiers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge kwargs tiers; later tiers win (model card, client defaults, per call)."""
    merged: dict[str, Any] = {}
    for tier in tiers:
        if tier:
            merged.update(tier)
    return merged


def translate_kwargs(
    kwargs: Mapping[str, Any],
    supported: Mapping[str, str],
    native: frozenset[str] | set[str] = frozenset(),
    *,
    provider: str,
    model: str | None = None,
) -> dict[str, Any]:
    """Validate portable *kwargs* and rename them for a provider.

    Args:
        kwargs: merged user kwargs.
        supported: portable name -> the provider's name for it (for *model*: one
            provider's models may differ, as OpenAI's reasoning models do).
        native: provider-specific names accepted as they are.
        provider: used in messages ("openai", "anthropic", ...).
        model: the model id, named in the warning for a kwarg it cannot use.

    Raises:
        ConfigurationError: an unknown key, or a value of the wrong type.
    """
    out: dict[str, Any] = {}
    for key, value in kwargs.items():
        if value is None:
            continue
        if key in native:
            out[key] = value
            continue
        if key not in PORTABLE_KWARGS:
            names = ", ".join(sorted(PORTABLE_KWARGS) + sorted(native))
            raise ConfigurationError(
                f"Unknown generation kwarg {quoted(key)} for provider {provider!r}. Use one of: {names}"
            )
        if not _valid(key, value):
            raise ConfigurationError(
                f"Generation kwarg {key}={quoted(value)} is invalid: it must be {PORTABLE_KWARGS[key]}"
            )
        if key not in supported:
            if (provider, model, key) not in _warned:
                _warned.add((provider, model, key))
                who = (
                    f"Model {model!r} of provider {provider!r}"
                    if model
                    else f"Provider {provider!r}"
                )
                warnings.warn(
                    f"{who} does not support {key!r}; it is ignored.",
                    UserWarning,
                    stacklevel=4,
                )
            continue
        if key == "stop" and isinstance(value, str):
            value = [value]
        out[supported[key]] = value
    return out
