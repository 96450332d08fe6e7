"""``files.read``, ``files.write``, ``files.list``: text files inside one sandbox folder.

The user names the folder (``aimu_core.tools.get("files", root="notes")``, or
``AIMU_FILES_ROOT`` for tools named in ``client.tools``); the model names files
relative to it. A path that would leave the folder is refused with
:class:`~aimu_core.errors.SandboxError` before anything is opened: absolute
paths, ``..`` past the root, and symlinks (anywhere on the path) that point
outside, since each path is resolved to its real location and checked.
The last component is opened with ``O_NOFOLLOW``, so a link swapped in
after the check is refused too.

Writes are atomic: the text goes to a temporary file beside the target, is
flushed to disk, then renamed over it. A reader (or a crash) sees the old
file or the new one, never half of one; two writers at once leave one of the
two texts whole.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import Any

from ..errors import ConfigurationError, SandboxError, ToolArgumentError, quoted
from .decorator import tool

__all__ = ["MAX_READ_BYTES", "Sandbox", "list_tool", "read_tool", "write_tool"]

#: The largest file ``read_file`` returns (a model's context is the limit that matters).
MAX_READ_BYTES = 1_000_000
_ROOT_ENV = "AIMU_FILES_ROOT"


class Sandbox:
    """One folder the file tools may read and write in, and nothing outside it."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        path = Path(root).expanduser()
        if not path.is_dir():
            raise ConfigurationError(
                f"the files tools' root {quoted(str(root))} is not a folder; create it or "
                "name an existing one"
            )
        self.root = path.resolve()

    def path(self, name: str) -> Path:
        """The real location of *name* (relative to the root); refused when outside it."""
        if not isinstance(name, str) or not name.strip() or "\x00" in name:
            raise ToolArgumentError("a path must be a non-empty string relative to the folder")
        pure = PurePath(name)
        if pure.is_absolute() or pure.drive or name.startswith(("/", "\\", "~")):
            raise SandboxError(
                f"{quoted(name)} is absolute; name files relative to the folder, e.g. 'notes.txt'"
            )
        real = (self.root / pure).resolve()
        if not real.is_relative_to(self.root):
            raise SandboxError(f"{quoted(name)} is outside the folder the file tools may use")
        return real

    def read(self, name: str) -> str:
        path = self.path(name)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            raise ToolArgumentError(f"there is no file {quoted(name)}; list the folder") from None
        except IsADirectoryError:
            raise ToolArgumentError(f"{quoted(name)} is a folder, not a file") from None
        except OSError as exc:
            raise SandboxError(f"{quoted(name)} cannot be opened: {exc.strerror}") from None
        with os.fdopen(fd, "rb") as file:
            data = file.read(MAX_READ_BYTES + 1)
        if len(data) > MAX_READ_BYTES:
            raise ToolArgumentError(f"{quoted(name)} is larger than {MAX_READ_BYTES} bytes")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ToolArgumentError(f"{quoted(name)} is not UTF-8 text") from None

    def write(self, name: str, content: str) -> int:
        """Replace *name*'s text atomically (creating folders inside the root); the bytes written."""
        path = self.path(name)
        if path == self.root or path.is_dir():
            raise ToolArgumentError(f"{quoted(name)} is a folder, not a file")
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8")
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return len(data)

    def list(self, name: str = ".") -> list[str]:
        """The entries of a folder inside the root, sorted; folders end with ``/``."""
        path = self.root if name in ("", ".") else self.path(name)
        if not path.is_dir():
            raise ToolArgumentError(f"{quoted(name)} is not a folder")
        return sorted(
            entry.name + ("/" if entry.is_dir(follow_symlinks=False) else "")
            for entry in os.scandir(path)
            if not entry.name.startswith(".")  # our temporary files, dotfiles
        )


def _sandbox(root: str | os.PathLike[str] | None) -> Sandbox:
    if root is None:
        root = os.environ.get(_ROOT_ENV)
        if not root:
            raise ConfigurationError(
                "the files tools need a folder: aimu_core.tools.select('files', root='path'), "
                f"or set {_ROOT_ENV} for tools named in client.tools"
            )
    return Sandbox(root)


def read_tool(root: str | os.PathLike[str] | None = None) -> Callable[..., Any]:
    """The ``files.read`` tool bound to *root* (default: ``$AIMU_FILES_ROOT``)."""
    box = _sandbox(root)

    @tool
    def read_file(path: str) -> str:
        """Read a UTF-8 text file from the working folder.

        Args:
            path: the file, relative to the folder, e.g. "notes/todo.txt".
        """
        return box.read(path)

    return read_file


def write_tool(root: str | os.PathLike[str] | None = None) -> Callable[..., Any]:
    """The ``files.write`` tool bound to *root* (default: ``$AIMU_FILES_ROOT``)."""
    box = _sandbox(root)

    @tool
    def write_file(path: str, content: str) -> str:
        """Write (create or replace) a UTF-8 text file in the working folder.

        Args:
            path: the file, relative to the folder; missing folders are created.
            content: the whole new text of the file.
        """
        return f"wrote {box.write(path, content)} bytes to {path}"

    return write_file


def list_tool(root: str | os.PathLike[str] | None = None) -> Callable[..., Any]:
    """The ``files.list`` tool bound to *root* (default: ``$AIMU_FILES_ROOT``)."""
    box = _sandbox(root)

    @tool
    def list_files(path: str = ".") -> list[str]:
        """List a folder inside the working folder; sub-folders end with "/".

        Args:
            path: the folder, relative to the working folder ("." for itself).
        """
        return box.list(path)

    return list_files
