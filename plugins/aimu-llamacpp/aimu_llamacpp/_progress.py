"""A one-line status display on stderr for slow first steps (assembling, loading).

Shown only when stderr is a terminal, so logs, pipes and test output stay
clean. No dependency: a carriage-return status line is all this needs.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

__all__ = ["Status"]


class Status:
    """``with Status("loading x") as status: status.update("42%")``.

    Prints ``aimu-llamacpp: <task> ...`` and rewrites the line on each
    :meth:`update`; on exit it ends the line with the elapsed time, or with
    ``failed`` when the block raised.
    """

    def __init__(self, task: str, *, stream: TextIO | None = None) -> None:
        self.task = task
        self._stream = stream if stream is not None else sys.stderr
        self.enabled = _is_tty(self._stream)
        self._start = 0.0

    def __enter__(self) -> Status:
        self._start = time.perf_counter()
        self._write(f"{self.task} ...")
        return self

    def update(self, detail: str) -> None:
        self._write(f"{self.task} ... {detail}")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        outcome = "failed" if exc_type else f"done in {time.perf_counter() - self._start:.1f}s"
        self._write(f"{self.task} ... {outcome}", end="\n")

    def _write(self, text: str, end: str = "") -> None:
        if not self.enabled:
            return
        try:
            self._stream.write(f"\r\x1b[2Kaimu-llamacpp: {text}{end}")
            self._stream.flush()
        except (OSError, ValueError):  # a closed or broken terminal must not break a load
            self.enabled = False


def _is_tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, OSError, ValueError):
        return False
