"""Progress on a terminal for the slow first steps: assembling the default model, loading weights.

A thin layer over tqdm, shown only when stderr is a terminal (``disable=None``),
so logs, pipes and test output stay clean.
"""

from __future__ import annotations

import sys
from typing import TextIO

from tqdm import tqdm

__all__ = ["progress"]


def progress(task: str, *, total: int | None = None, stream: TextIO | None = None) -> tqdm:
    """A progress bar for *task* (``with progress(...) as bar: bar.update(n)``).

    With a *total* (bytes) it is a bar with a rate; without, one line that
    ends with the elapsed time when the block exits.
    """
    return tqdm(
        total=total,
        desc=f"aimu-llamacpp: {task}",
        file=stream if stream is not None else sys.stderr,
        disable=None,  # only on a terminal
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        bar_format=None if total else "{desc} ... {elapsed}",
        leave=True,
    )
