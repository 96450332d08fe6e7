"""Streaming: :class:`StreamChunk`, the one chunk type of every stream, and its phases."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from enum import StrEnum
from typing import Any, NamedTuple

from ..errors import ConfigurationError

__all__ = ["Phase", "StreamChunk", "filter_phases", "parse_include"]


class Phase(StrEnum):
    """What a :class:`StreamChunk` carries.

    ``THINKING``
        a piece of the model's reasoning (``str``).
    ``TOOL_CALLING``
        one tool call that has run: ``{"name", "arguments", "response"}``.
    ``GENERATING``
        a piece of the answer (``str``).
    ``DONE``
        the last chunk of a stream: ``{"text", "thinking", "usage", "finish_reason"}``
        for the final model turn.
    ``IMAGE_GENERATING``
        progress of an image client's ``generate(stream=True)``: ``{"step", "total"}``
        after each denoising step (1-based ``step`` of ``total``).
    ``IMAGE``
        one generated image, in the format the call asked for; an image stream
        ends with one such chunk per image.
    """

    THINKING = "thinking"
    TOOL_CALLING = "tool_calling"
    GENERATING = "generating"
    DONE = "done"
    IMAGE_GENERATING = "image_generating"
    IMAGE = "image"


class StreamChunk(NamedTuple):
    """One piece of a stream: from a client's ``chat``/``generate`` or any runner's ``run``.

    ``agent`` and ``iteration`` are set by agents and workflows; a plain chat
    leaves them ``None`` and ``0``.
    """

    phase: Phase
    content: Any
    agent: str | None = None
    iteration: int = 0


def parse_include(include: Iterable[str | Phase] | str | Phase | None) -> frozenset[Phase] | None:
    """Validate ``include=``: phase names or :class:`Phase` values; ``None`` keeps everything."""
    if include is None:
        return None
    if isinstance(include, (str, Phase)):
        include = [include]
    phases = set()
    for item in include:
        try:
            phases.add(Phase(item))
        except ValueError:
            valid = ", ".join(repr(p.value) for p in Phase)
            raise ConfigurationError(
                f"include= names unknown phase {item!r}; valid phases are {valid}"
            ) from None
    return frozenset(phases)


def filter_phases(
    chunks: Iterator[StreamChunk], phases: frozenset[Phase] | None
) -> Iterator[StreamChunk]:
    """Only the chunks whose phase is in *phases*: *chunks* itself when ``None``.

    Returning the stream unwrapped keeps the common case free of one generator
    step per chunk.
    """
    if phases is None:
        return chunks
    return _only(chunks, phases)


def _only(chunks: Iterator[StreamChunk], phases: frozenset[Phase]) -> Iterator[StreamChunk]:
    try:
        for chunk in chunks:
            if chunk.phase in phases:
                yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # an abandoned stream rolls its turn back now
