"""The ``aimu`` entry points of the installed distributions, read from metadata and cached.

Reading entry points costs more than the rest of a cold start together:
importing importlib-metadata and scanning the metadata of every distribution
on ``sys.path``. As stevedore does, the result is kept in a small JSON file
keyed by the interpreter and by every ``sys.path`` entry with its modification
time. Installing, upgrading or removing a distribution adds or removes a
``*.dist-info`` folder, which changes its directory's modification time, so a
changed environment never reads a stale cache; it scans again and writes a new
file. Only the metadata is cached: plugin modules are imported (or blocked)
anew by every process.

The cache lives in ``$AIMU_CACHE_DIR``, else ``$XDG_CACHE_HOME/aimu``, else
``~/.cache/aimu``; ``AIMU_DISCOVERY_CACHE=0`` turns it off. A cache that
cannot be read or written is simply not used.
"""

from __future__ import annotations

import importlib
import os
import sys
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["EntryPoint", "cache_dir", "entry_points"]

#: Bump when the cached record changes shape.
_FORMAT = 1
#: Cache files kept; older ones are removed when a new one is written.
_KEEP = 32


@dataclass(frozen=True)
class EntryPoint:
    """One entry point of group ``aimu`` and the distribution that declares it."""

    name: str
    value: str
    distribution: str | None
    version: str | None

    @property
    def module(self) -> str:
        return self.value.partition(":")[0].strip()

    def load(self) -> Any:
        """Import the module (and look up the attribute after ``:``, if any)."""
        module, _, attribute = self.value.partition(":")
        obj: Any = importlib.import_module(module.strip())
        for part in filter(None, attribute.strip().split(".")):
            obj = getattr(obj, part)
        return obj


def entry_points(group: str, environ: Mapping[str, str] | None = None) -> list[EntryPoint]:
    """The entry points of *group* of every installed distribution, in ``sys.path`` order."""
    env = os.environ if environ is None else environ
    if env.get("AIMU_DISCOVERY_CACHE", "1").strip().lower() in {"0", "false", "no", "off"}:
        return _scan(group)
    key = _fingerprint(group)
    path = os.path.join(cache_dir(env), f"entry-points-{zlib.crc32(key.encode()):08x}.txt")
    cached = _read(path, key)
    if cached is not None:
        return cached
    found = _scan(group)
    _write(path, key, found)
    return found


def cache_dir(environ: Mapping[str, str] | None = None) -> str:
    """Where discovery caches live."""
    env = os.environ if environ is None else environ
    if env.get("AIMU_CACHE_DIR"):
        return env["AIMU_CACHE_DIR"]
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "aimu")


def _fingerprint(group: str) -> str:
    """One line naming the interpreter and every sys.path entry with its mtime.

    The file name holds only a checksum of it; the line itself is the cache
    file's first line, compared whole, so two environments that share a
    checksum never read each other's entry points.
    """
    parts = [f"v{_FORMAT}", group, sys.version.replace("\n", " "), sys.prefix]
    for entry in sys.path:
        try:
            mtime = os.stat(entry or ".").st_mtime_ns
        except OSError:
            mtime = -1  # a missing entry still counts: it may appear later
        parts.append(f"{entry}={mtime}")
    return "\t".join(parts).replace("\n", " ")


def _scan(group: str) -> list[EntryPoint]:
    import importlib_metadata

    return [
        EntryPoint(ep.name, ep.value, *_name_and_version(ep.dist))
        for ep in importlib_metadata.entry_points(group=group)
    ]


def _name_and_version(dist: Any) -> tuple[str | None, str | None]:
    """A distribution's Name and Version, read from the top of its metadata file.

    ``dist.name``/``dist.version`` parse the whole file (long description
    included) with the ``email`` package, which costs more than the rest of the
    scan; the two headers come first, so reading them is enough.
    """
    if dist is None:
        return None, None
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    headers: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the end of the headers
        key, sep, value = line.partition(":")
        if sep and not key[:1].isspace():
            headers.setdefault(key.strip().lower(), value.strip())
    if headers.get("name") and headers.get("version"):
        return headers["name"], headers["version"]
    return dist.name, dist.version  # unusual metadata: let importlib-metadata parse it


def _read(path: str, key: str) -> list[EntryPoint] | None:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as file:
            lines = file.read().split("\n")
    except OSError:
        return None
    # A file from another environment, or cut short by a killed writer (the
    # last line is always "end"), is not used.
    if len(lines) < 2 or lines[0] != key or lines[-1] != "end":
        return None
    found = []
    for line in lines[1:-1]:
        fields = line.split("\t")
        if len(fields) != 4:
            return None
        name, value, distribution, version = fields
        found.append(EntryPoint(name, value, distribution or None, version or None))
    return found


def _write(path: str, key: str, found: list[EntryPoint]) -> None:
    # Written to a temporary file and renamed into place: a reader sees the old
    # file or the new one, never half of one, and a killed writer leaves no cache.
    fields = [(ep.name, ep.value, ep.distribution or "", ep.version or "") for ep in found]
    if any("\t" in field or "\n" in field for row in fields for field in row):
        return  # a field this format cannot hold: go without a cache
    rows = ["\t".join(row) for row in fields]
    directory = os.path.dirname(path)
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(directory, exist_ok=True)
        with open(temporary, "w", encoding="utf-8", errors="surrogateescape") as file:
            file.write("\n".join([key, *rows, "end"]))
        os.replace(temporary, path)
        _prune(directory)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass


def _prune(directory: str) -> None:
    with os.scandir(directory) as entries:
        caches = [e for e in entries if e.name.startswith("entry-points-")]
    if len(caches) <= _KEEP:
        return
    caches.sort(key=lambda e: e.stat().st_mtime_ns)
    for entry in caches[:-_KEEP]:
        try:
            os.unlink(entry.path)
        except OSError:
            pass
