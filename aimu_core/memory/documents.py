"""``DocumentStore``: documents as files under one folder, addressed by relative path.

The ``documents:`` memory backend, in core because it needs nothing but the
standard library. A document's id is its path relative to the root
(``"notes/todo.md"``); its metadata sits beside it in a hidden
``.<name>.meta.json``. Paths are checked by the file tools' rule
(:class:`~aimu_core.tools.files.Sandbox`): ``..`` past the root, absolute
paths and symlinks that lead outside are refused with
:class:`~aimu_core.errors.UnsafePathError` before anything is opened, and
every write is atomic (temporary file, fsync, rename), so a reader or a crash
sees the old document or the new one, never half of one.

Search is by keywords (no embeddings): a document scores by how many of the
query's words it holds, weighted by how rare each word is among the
documents. For meaning rather than words, use the ``chroma:`` backend.
"""

from __future__ import annotations

import builtins
import json
import math
import os
import re
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import MemoryStoreError, SandboxError, ToolArgumentError, UnsafePathError, quoted
from ..tools.files import Sandbox
from .base import (
    MemoryHit,
    MemoryItem,
    MemoryStore,
    Metadata,
    ids_of,
    matches,
    metadata_per_text,
    texts_of,
)

__all__ = ["DocumentStore"]

_WORD = re.compile(r"\w+", re.UNICODE)
_META = ".{}.meta.json"


class DocumentStore(MemoryStore):
    """Documents as UTF-8 files under *root* (created if missing); see the module docstring.

    Threads and processes may share a root: each write replaces one file atomically.
    """

    backend = "documents"

    def __init__(self, root: str | os.PathLike[str] = ".") -> None:
        path = Path(root).expanduser()
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MemoryStoreError(
                f"cannot create the document folder {quoted(str(root))}: {exc.strerror}"
            ) from None
        self._box = Sandbox(path)
        self.root = self._box.root

    # -- documents by path ---------------------------------------------------------------

    def write(self, path: str, text: str, metadata: Mapping[str, Any] | None = None) -> str:
        """Create or replace the document at *path*; return its id (the normalized path)."""
        doc_id = self._id(path)
        (meta,) = metadata_per_text(metadata, 1)
        if Path(doc_id).name.startswith("."):
            raise UnsafePathError(f"{quoted(path)}: document names may not start with '.'")
        self._call(self._box.write, doc_id, text)
        self._call(self._box.write, _meta_path(doc_id), json.dumps(meta, ensure_ascii=False))
        return doc_id

    def read(self, path: str) -> str:
        """The text of the document at *path*."""
        return str(self._call(self._box.read, self._id(path)))

    def metadata(self, path: str) -> Metadata:
        try:
            raw = self._box.read(_meta_path(self._id(path)))
        except ToolArgumentError:
            return {}
        except SandboxError as exc:
            raise UnsafePathError(str(exc)) from None
        try:
            loaded = json.loads(raw)
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def paths(self) -> list[str]:
        """Every document's path, sorted (hidden files and symlinks are not documents)."""
        found = []
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            base = Path(folder)
            for name in files:
                full = base / name
                if name.startswith(".") or full.is_symlink():
                    continue
                found.append(full.relative_to(self.root).as_posix())
        return sorted(found)

    # -- the MemoryStore contract ----------------------------------------------------------

    def add(
        self,
        texts: str | Sequence[str],
        metadata: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        ids: Sequence[str] | None = None,
    ) -> list[str]:
        items = texts_of(texts)
        metas = metadata_per_text(metadata, len(items))
        paths = (
            list(ids) if ids is not None else [f"memory-{uuid.uuid4().hex[:12]}.txt" for _ in items]
        )
        if len(paths) != len(items):
            raise MemoryStoreError(f"{len(paths)} ids for {len(items)} texts; give one each")
        return [self.write(p, t, m) for p, t, m in zip(paths, items, metas, strict=True)]

    def get(self, ids: str | Sequence[str]) -> list[MemoryItem]:
        found = []
        for doc_id in ids_of(ids):
            try:
                text = self.read(doc_id)
            except ToolArgumentError:
                continue
            found.append(MemoryItem(self._id(doc_id), text, self.metadata(doc_id)))
        return found

    def delete(self, ids: str | Sequence[str]) -> None:
        for doc_id in ids_of(ids):
            for name in (self._id(doc_id), _meta_path(self._id(doc_id))):
                path = self._call(self._box.path, name)
                if path.is_file():
                    path.unlink(missing_ok=True)

    def list(
        self, where: Mapping[str, Any] | None = None, limit: int | None = None
    ) -> list[MemoryItem]:
        items = []
        for doc_id in self.paths():
            meta = self.metadata(doc_id)
            if not matches(meta, where):
                continue
            try:
                items.append(MemoryItem(doc_id, self.read(doc_id), meta))
            except (ToolArgumentError, FileNotFoundError):
                continue  # deleted meanwhile, or not text
            if limit is not None and len(items) >= limit:
                break
        return items

    def count(self) -> int:
        return len(self.paths())

    def search(
        self, query: str, k: int = 5, where: Mapping[str, Any] | None = None
    ) -> builtins.list[MemoryHit]:
        terms = set(_words(query))
        if not terms or k <= 0:
            return []
        items = self.list(where)
        counts = [Counter(_words(item.text)) for item in items]
        rarity = {
            term: math.log(1 + len(items) / (1 + sum(1 for c in counts if term in c)))
            for term in terms
        }
        best = sum(rarity.values()) or 1.0
        scored = []
        for item, words in zip(items, counts, strict=True):
            found = [term for term in terms if term in words]
            if found:
                score = sum(rarity[t] for t in found) / best
                scored.append(MemoryHit(item.id, item.text, item.metadata, score=round(score, 6)))
        scored.sort(key=lambda hit: (-hit.score, hit.id))
        return scored[:k]

    def __repr__(self) -> str:
        return f"DocumentStore({str(self.root)!r})"

    # -- paths ------------------------------------------------------------------------------

    def _id(self, path: str) -> str:
        """*path* checked against the root and normalized to a relative POSIX path."""
        real = self._call(self._box.path, path)
        if real == self.root:
            raise UnsafePathError(f"{quoted(path)} is the store's folder itself, not a document")
        return real.relative_to(self.root).as_posix()

    @staticmethod
    def _call(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except SandboxError as exc:
            raise UnsafePathError(
                str(exc).replace("the file tools may use", "of the store")
            ) from None


def _meta_path(doc_id: str) -> str:
    path = Path(doc_id)
    return (path.parent / _META.format(path.name)).as_posix()


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]
