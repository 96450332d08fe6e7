"""``PromptCatalog``: versioned prompts in one SQLite file, shared by threads and processes.

A prompt is keyed by ``(name, model_id)``: the same task worded for two models
is two histories. ``model_id`` is the model's full id (``ollama:qwen3:8b``),
taken from a model string, a client or a catalog member (:func:`model_id`).
Each save gets the next version of its key, assigned inside the ``INSERT``
itself under SQLite's write lock, so two processes saving at once get two
different versions, never the same one twice.

The file is in WAL mode: readers never wait for a writer, and a process killed
mid-write leaves the last committed state (SQLite's journal). Every call opens
its own connection, so one catalog object may be used from many threads.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError

__all__ = ["Prompt", "PromptCatalog", "model_id"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS prompts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    model_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    prompt TEXT NOT NULL,
    metrics TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (name, model_id, version)
)
"""

# One statement: the version is read and written under the same write lock.
_INSERT = """
INSERT INTO prompts (name, model_id, version, prompt, metrics, created_at)
SELECT ?, ?, COALESCE(MAX(version), 0) + 1, ?, ?, ?
FROM prompts WHERE name = ? AND model_id = ?
RETURNING id, version
"""

_COLUMNS = "name, model_id, version, prompt, metrics, created_at"

#: Seconds a connection waits for another process's write to finish.
BUSY_TIMEOUT = 30.0


@dataclass(frozen=True)
class Prompt:
    """One saved version of a prompt."""

    name: str
    model_id: str
    version: int
    prompt: str
    metrics: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""


#: What the catalog's readers return (``list`` is also a method name in the class).
Prompts = list[Prompt]


def model_id(model: Any) -> str:
    """The full model id a prompt is saved under.

    A model string is used as given (without an ``@url``, which says where the
    model runs, not which model it is); a client gives ``provider:model_id``; a
    catalog member or spec its id.
    """
    if isinstance(model, str):
        text = model.strip()
        if not text:
            raise ConfigurationError("a prompt's model id is empty; pass 'provider:model_id'")
        return text.partition(";")[0].partition("@")[0]
    resolved = getattr(model, "resolved", None)  # a ModelClient factory wrapper
    if resolved is not None:
        return f"{resolved.provider.name}:{resolved.model.value}"
    provider = getattr(model, "provider", None)
    inner = getattr(model, "model", None)
    if isinstance(provider, str) and inner is not None:  # a provider client
        return f"{provider}:{inner.value}"
    for attr in ("id", "value"):  # a ModelSpec, a catalog member
        value = getattr(model, attr, None)
        if isinstance(value, str) and value:
            return value
    raise ConfigurationError(
        f"cannot tell the model id of a {type(model).__name__}: pass a model string "
        "'provider:model_id', a client or a catalog member"
    )


class PromptCatalog:
    """Versioned prompts in the SQLite file *db_path* (created when missing).

    Safe from several threads and processes at once; see the module docstring.
    """

    def __init__(self, db_path: str | Path) -> None:
        self.db_path = Path(db_path)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    def __repr__(self) -> str:
        return f"PromptCatalog({str(self.db_path)!r})"

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection of this call's own; commits on success, rolls back on error."""
        try:
            connection = sqlite3.connect(self.db_path, timeout=BUSY_TIMEOUT)
        except sqlite3.OperationalError as exc:
            raise ConfigurationError(
                f"cannot open the prompt catalog {str(self.db_path)!r}: {exc}; check that its "
                "folder exists and is writable"
            ) from exc
        with closing(connection), connection:
            try:
                yield connection
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                    raise
                raise ConfigurationError(
                    f"{str(self.db_path)!r} is not a usable prompt catalog: {exc}"
                ) from exc

    # -- writing -----------------------------------------------------------------------

    def save(
        self,
        name: str,
        model: Any,
        prompt: str,
        metrics: Mapping[str, Any] | None = None,
    ) -> Prompt:
        """Save *prompt* as the next version of ``(name, model)``; returns what was saved.

        *metrics* must be JSON-serializable (numbers, strings, lists, dicts).
        """
        if not isinstance(name, str) or not name.strip():
            raise ConfigurationError("a prompt needs a non-empty name")
        if not isinstance(prompt, str):
            raise ConfigurationError(f"a prompt must be a string, got {type(prompt).__name__}")
        key = model_id(model)
        try:
            metrics_json = json.dumps(dict(metrics or {}), sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(
                f"prompt metrics must be JSON numbers, strings, lists and dicts: {exc}"
            ) from exc
        created = datetime.now(UTC).isoformat(timespec="microseconds")
        with self._connect() as db:
            (_, version) = db.execute(
                _INSERT, (name, key, prompt, metrics_json, created, name, key)
            ).fetchone()
        return Prompt(name, key, version, prompt, json.loads(metrics_json), created)

    def delete(self, name: str, model: Any = None, version: int | None = None) -> int:
        """Delete versions of *name* (of one *model*, one *version*); returns how many went."""
        where, args = self._where(name, model, version)
        with self._connect() as db:
            return db.execute(f"DELETE FROM prompts WHERE {where}", args).rowcount

    # -- reading -----------------------------------------------------------------------

    def get(self, name: str, model: Any, version: int | None = None) -> Prompt | None:
        """Version *version* of ``(name, model)``, the latest when ``None``; ``None`` if absent."""
        where, args = self._where(name, model, version)
        rows = self._select(f"WHERE {where} ORDER BY version DESC LIMIT 1", args)
        return rows[0] if rows else None

    def history(self, name: str, model: Any) -> Prompts:
        """Every version of ``(name, model)``, oldest first."""
        where, args = self._where(name, model, None)
        return self._select(f"WHERE {where} ORDER BY version", args)

    def list(self, name: str | None = None) -> Prompts:
        """The latest version of every ``(name, model_id)`` (of *name* only, when given)."""
        latest = "version = (SELECT MAX(version) FROM prompts p WHERE p.name = prompts.name AND p.model_id = prompts.model_id)"
        if name is None:
            return self._select(f"WHERE {latest} ORDER BY name, model_id", ())
        return self._select(f"WHERE name = ? AND {latest} ORDER BY model_id", (name,))

    def _where(self, name: str, model: Any, version: int | None) -> tuple[str, tuple[Any, ...]]:
        clauses = ["name = ?"]
        args: Any = [name]
        if model is not None:
            clauses.append("model_id = ?")
            args.append(model_id(model))
        if version is not None:
            if not isinstance(version, int) or isinstance(version, bool) or version < 1:
                raise ConfigurationError(f"a prompt version is an integer >= 1, got {version!r}")
            clauses.append("version = ?")
            args.append(version)
        return " AND ".join(clauses), tuple(args)

    def _select(self, tail: str, args: tuple[Any, ...]) -> Prompts:
        with self._connect() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM prompts {tail}", args).fetchall()
        return [Prompt(n, m, v, p, json.loads(js), c) for n, m, v, p, js, c in rows]
