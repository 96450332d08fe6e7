"""Vectors a fake embedding API answers with: computed from the text, so the same text
always gets the same vector and batching can be compared with one-by-one."""

from __future__ import annotations

import hashlib
import math

__all__ = ["FAKE_DIMENSIONS", "fake_vector"]

#: The length of :func:`fake_vector`'s vectors unless asked otherwise.
FAKE_DIMENSIONS = 8


def fake_vector(text: str, dimensions: int = FAKE_DIMENSIONS) -> list[float]:
    """A unit vector derived from *text*'s SHA-256 (``""`` included)."""
    digest = hashlib.sha256(text.encode()).digest()
    raw = [digest[i % len(digest)] - 127.5 for i in range(dimensions)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [x / norm for x in raw]
