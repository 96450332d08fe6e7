"""``JournalStorage``: a crash-safe, multi-process TinyDB storage that writes only what changed.

TinyDB's own ``JSONStorage`` rewrites the whole file on every write, so saving
one turn costs time in proportion to everything ever stored, and a crash
mid-write leaves a truncated file. This storage keeps the database in memory
and appends each write to the file as one JSON line, then ``fsync``\\ s it:

* line 1 is a snapshot, the whole database as TinyDB's JSON format writes it
  (a compacted journal is a valid ``JSONStorage`` file);
* every later line is a list of operations, one write (one transaction):
  ``["put", table, id, doc]``, ``["del", table, id]``, ``["drop", table]`` and
  ``["splice", table, id, field, keep, items, fields]`` (keep the first *keep*
  items of the list ``doc[field]``, append *items*, then set *fields*): the
  last saves a conversation turn without re-writing the conversation.

A write is acknowledged once its line is on disk. A process killed mid-append
leaves a line with no newline at the end: readers ignore it (the write was
never acknowledged) and the next writer cuts it off. When the journal grows
past the snapshot's size the file is compacted: a new snapshot is written to
a temporary file, ``fsync``\\ ed and moved over the old one with
``os.replace``, so the file on disk is always either the old or the new one.

Processes share the file: every write holds a ``filelock`` lock next to it
(``<file>.lock``) and first replays what other processes appended (or reloads
a file another process compacted). Threads of one process share one storage
through an ``RLock``. A read replays new lines without locking.

A file that is not a journal (a line that is not JSON, an unknown operation)
raises :class:`~aimu_core.errors.HistoryCorruptError` naming it, and is never
written to.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock
from tinydb.storages import Storage

from ..errors import HistoryCorruptError, HistoryError

__all__ = ["JournalStorage"]

#: Compact when the journal holds more than this many bytes *and* more than the snapshot.
_MIN_COMPACT_BYTES = 256 * 1024


class _Tracked(dict[Any, Any]):
    """A stored document that notes in-place changes (TinyDB's ``update`` mutates documents)."""

    __slots__ = ("_key", "_sink")

    def __init__(self, data: Any, sink: set[tuple[str, str]], key: tuple[str, str]) -> None:
        super().__init__(data)
        self._sink, self._key = sink, key

    def _touch(self) -> None:
        self._sink.add(self._key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._touch()
        super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        self._touch()
        super().__delitem__(key)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._touch()
        super().update(*args, **kwargs)

    def pop(self, *args: Any) -> Any:
        self._touch()
        return super().pop(*args)

    def popitem(self) -> Any:
        self._touch()
        return super().popitem()

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self._touch()
        return super().setdefault(key, default)

    def clear(self) -> None:
        self._touch()
        super().clear()


class JournalStorage(Storage):
    """A TinyDB storage on an append-only JSON-lines journal; see the module docstring.

    Use it as ``TinyDB(path, storage=JournalStorage)``; TinyDB passes *path*.

    Args:
        path: the journal file; created (with its folder) on the first write.
        compact_bytes: compact once the journal holds more than this many bytes
            and more than the snapshot does.
        lock_timeout: seconds to wait for another process's write before
            :class:`~aimu_core.errors.HistoryError`; ``-1`` waits for ever.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        compact_bytes: int = _MIN_COMPACT_BYTES,
        lock_timeout: float = 30.0,
    ) -> None:
        self.path = Path(path)
        self._compact_bytes = compact_bytes
        self._lock_timeout = lock_timeout
        self._file_lock = FileLock(f"{self.path}.lock", thread_local=False)
        self._thread_lock = threading.RLock()
        self._state: dict[str, dict[str, _Tracked]] = {}
        self._dirty: set[tuple[str, str]] = set()
        self._inode: int | None = None
        self._offset = 0  # bytes of the file replayed so far (complete lines only)
        self._snapshot_bytes = 0
        self._torn = False  # the file ends with an unacknowledged partial line
        self._fd: int | None = None  # the append descriptor, for the file at _inode
        self._held = False  # this process holds the file lock (under _thread_lock)
        #: (table, id) -> how many operations changed that document since it was loaded
        self._revisions: dict[tuple[str, str], int] = {}

    # -- TinyDB's interface ----------------------------------------------------------

    def read(self) -> dict[str, dict[str, Any]] | None:
        with self._thread_lock:
            self._catch_up()
            # A fresh outer dict: TinyDB replaces the table it writes in it; the tables
            # and documents are ours (documents note their own in-place changes).
            return dict(self._state) if self._state else None

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        with self._thread_lock:
            # Diff against the state TinyDB read, before replaying other processes' writes:
            # what they added is not ours to delete. (Inside locked() nothing is replayed.)
            ops = self._diff(data)
            if ops:
                with self.locked():
                    self._commit(ops)

    def close(self) -> None:
        with self._thread_lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    # -- beyond TinyDB -----------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the cross-process lock, with every other process's writes replayed.

        Wrap a TinyDB read-modify-write in it so that it is atomic across processes.
        """
        with self._thread_lock:
            if self._held:  # nested in this thread: the lock is held, the state current
                yield
                return
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file_lock.acquire(timeout=self._lock_timeout)
            except TimeoutError as exc:
                raise HistoryError(
                    f"history file {str(self.path)!r} is locked by another process for more "
                    f"than {self._lock_timeout:g} s; is a writer stuck? (lock: {self.path}.lock)"
                ) from exc
            except OSError as exc:
                raise self._os_error(exc) from exc
            try:
                self._held = True
                self._catch_up()
                if self._torn:
                    self._cut_torn_tail()
                yield
            finally:
                self._held = False
                self._file_lock.release()

    def splice(
        self,
        table: str,
        doc_id: int,
        field: str,
        keep: int,
        items: list[Any],
        fields: dict[str, Any] | None = None,
    ) -> None:
        """Keep the first *keep* items of ``doc[field]``, append *items*, set *fields*.

        One journal line whatever the list's length: how a turn is saved.
        Call it inside :meth:`locked` after reading the document.
        """
        op = ["splice", table, str(doc_id), field, keep, items, fields or {}]
        with self.locked():
            if str(doc_id) not in self._state.get(table, {}):
                raise HistoryError(f"no document {doc_id} in table {table!r} of {self.path}")
            self._commit([op])

    def read_ids(self, table: str) -> list[str]:
        """The document ids of *table*, as stored (strings)."""
        with self._thread_lock:
            self._catch_up()
            return list(self._state.get(table, ()))

    def revision(self, table: str, doc_id: int) -> tuple[int | None, int]:
        """A value that changes whenever the document changes (here or in another process)."""
        with self._thread_lock:
            self._catch_up()
            return self._inode, self._revisions.get((table, str(doc_id)), 0)

    def document(self, table: str, doc_id: int) -> dict[str, Any] | None:
        """The stored document itself (not a copy): read it, never change it."""
        with self._thread_lock:
            self._catch_up()
            return self._state.get(table, {}).get(str(doc_id))

    # -- the journal ---------------------------------------------------------------------

    def _diff(self, data: dict[str, dict[str, Any]]) -> list[list[Any]]:
        ops: list[list[Any]] = []
        for name in self._state.keys() - data.keys():
            ops.append(["drop", name])
        for name, table in data.items():
            old = self._state.get(name)
            if table is old:
                continue
            old = old or {}
            touched = {key for (t, key) in self._dirty if t == name}
            for key in old.keys() - table.keys():
                ops.append(["del", name, key])
            for key in (table.keys() - old.keys()) | (touched & table.keys()):
                ops.append(["put", name, key, table[key]])
            if not table and name not in self._state:
                ops.append(["put_table", name])
        self._dirty.clear()
        return ops

    def _commit(self, ops: list[list[Any]]) -> None:
        """Append *ops* as one line, fsync it, then apply them to the state."""
        try:
            line = json.dumps(ops, ensure_ascii=False, separators=(",", ":")) + "\n"
        except (TypeError, ValueError) as exc:
            raise HistoryError(f"cannot save to {self.path}: {exc} (only JSON values)") from exc
        data = line.encode("utf-8")
        try:
            if self._fd is None:
                self._open_for_append()
            assert self._fd is not None
            os.write(self._fd, data)
            _sync(self._fd)
        except OSError as exc:  # disk full, read-only: the line is not acknowledged
            raise self._os_error(exc) from exc
        self._offset += len(data)
        # Apply the line as written, so the state holds exactly what a reader replays.
        self._apply(json.loads(line))
        if self._offset - self._snapshot_bytes > max(self._compact_bytes, self._snapshot_bytes):
            self._compact()

    def _open_for_append(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        stat = os.fstat(fd)
        if self._inode is not None and stat.st_ino != self._inode:
            os.close(fd)
            raise HistoryError(f"{self.path} was replaced while it was being written; retry")
        if stat.st_size == 0:
            # A new file: line 1 is the (empty) snapshot.
            head = b"{}\n"
            os.write(fd, head)
            os.fsync(fd)
            _fsync_dir(self.path.parent)
            self._offset = self._snapshot_bytes = len(head)
        self._fd, self._inode = fd, stat.st_ino

    def _catch_up(self) -> None:
        """Replay what other processes appended; reload a file that was compacted."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            if self._inode is not None:  # deleted under us: start again, empty
                self._reset()
            return
        if stat.st_ino != self._inode or stat.st_size < self._offset:
            self._reset()
            self._inode = stat.st_ino
        if stat.st_size == self._offset and not self._torn:
            return
        with open(self.path, "rb") as file:
            if os.fstat(file.fileno()).st_ino != self._inode:
                self._reset()  # replaced between stat and open: read the new one whole
                self._inode = os.fstat(file.fileno()).st_ino
            file.seek(self._offset)
            rest = file.read()
        self._replay(rest)

    def _replay(self, chunk: bytes) -> None:
        end = chunk.rfind(b"\n") + 1
        self._torn = end < len(chunk)
        for raw in chunk[:end].splitlines():
            lineno_hint = self._offset
            self._offset += len(raw) + 1
            try:
                entry = json.loads(raw)
            except ValueError:
                raise self._corrupt(f"a line at byte {lineno_hint} is not JSON") from None
            if lineno_hint == 0:
                if not isinstance(entry, dict):
                    raise self._corrupt("the first line is not a TinyDB snapshot (a JSON object)")
                self._load_snapshot(entry)
                self._snapshot_bytes = self._offset
            else:
                self._apply(entry)

    def _load_snapshot(self, snapshot: dict[str, Any]) -> None:
        self._state = {}
        for name, table in snapshot.items():
            if not isinstance(table, dict) or not all(isinstance(d, dict) for d in table.values()):
                raise self._corrupt(
                    f"table {name!r} of the snapshot is not a JSON object of documents"
                )
            self._state[name] = {k: _Tracked(v, self._dirty, (name, k)) for k, v in table.items()}

    def _apply(self, ops: Any) -> None:
        if not isinstance(ops, list):
            raise self._corrupt("a journal line is not a list of operations")
        try:
            for op in ops:
                self._apply_one(op)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            raise self._corrupt(f"a journal operation does not apply ({exc!r})") from None

    def _apply_one(self, op: list[Any]) -> None:
        kind = op[0]
        if kind in {"put", "del", "splice"}:
            key = (op[1], op[2])
            self._revisions[key] = self._revisions.get(key, 0) + 1
        if kind == "put":
            _, name, key, doc = op
            if not isinstance(doc, dict):
                raise TypeError("a document is not a JSON object")
            self._state.setdefault(name, {})[key] = _Tracked(doc, self._dirty, (name, key))
        elif kind == "del":
            _, name, key = op
            self._state.get(name, {}).pop(key, None)
        elif kind == "drop":
            self._state.pop(op[1], None)
        elif kind == "put_table":
            self._state.setdefault(op[1], {})
        elif kind == "splice":
            _, name, key, field, keep, items, fields = op
            doc = self._state[name][key]
            items_now = dict.setdefault(doc, field, [])
            del items_now[keep:]
            items_now.extend(items)
            dict.update(doc, fields)
        else:
            raise ValueError(f"unknown operation {kind!r}")

    def _compact(self) -> None:
        """Write the whole state as a new snapshot, atomically (temp file, fsync, replace)."""
        payload = json.dumps(self._state, ensure_ascii=False, separators=(",", ":")) + "\n"
        data = payload.encode("utf-8")
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_dir(self.path.parent)
        self.close()
        self._inode = None
        self._open_for_append()
        self._offset = self._snapshot_bytes = len(data)

    def _cut_torn_tail(self) -> None:
        """Drop the partial last line a killed writer left (it was never acknowledged)."""
        os.truncate(self.path, self._offset)
        self._torn = False

    def _reset(self) -> None:
        self.close()
        self._revisions.clear()
        self._state, self._inode, self._offset, self._snapshot_bytes = {}, None, 0, 0
        self._torn = False
        self._dirty.clear()

    def _os_error(self, exc: OSError) -> HistoryError:
        return HistoryError(
            f"cannot write history file {str(self.path)!r}: {exc.strerror or exc}; "
            "set AIMU_DATA_DIR to a writable folder (or use --no-log)"
        )

    def _corrupt(self, why: str) -> HistoryCorruptError:
        path = str(self.path)
        self._reset()
        return HistoryCorruptError(
            f"history file {path!r} cannot be read: {why}. It was left as it is; move it "
            "away (or point AIMU_DATA_DIR elsewhere) to start a new history.",
            path=path,
        )


#: Flush an appended line to disk: ``fdatasync`` (data and size, not timestamps) where it exists.
_sync = getattr(os, "fdatasync", os.fsync)


def _fsync_dir(folder: Path) -> None:
    """Make a new or renamed entry in *folder* durable (a no-op where unsupported)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
