"""``ConversationManager``: conversations kept in a TinyDB file, whole and crash-safe.

Each conversation is one document of the ``conversations`` table: ``title``,
``model``, ``created``, ``updated`` (ISO 8601, UTC) and ``messages``, the
client's OpenAI-format list. Saving stores the *whole* state, so a reset or a
changed system message is kept (upstream aimu only ever appended), yet writes
only what changed: the messages after the first one that differs, as one
journal line (see :mod:`aimu_core.history.journal`).

:meth:`ConversationManager.bind` ties a client to the current conversation:
each completed ``chat()`` turn is saved before the call returns, and a turn
that fails (or whose save fails) is rolled back, so the saved conversation
always equals the client's ``messages``.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.table import Document

from ..errors import HistoryError
from .journal import JournalStorage

__all__ = ["ConversationInfo", "ConversationManager", "default_history_path"]

_TABLE = "conversations"
_TITLE_LIMIT = 60


def default_history_path() -> Path:
    """Where ``aimu chat`` keeps conversations: ``$AIMU_DATA_DIR/history.jsonl``.

    Without ``AIMU_DATA_DIR``: ``$XDG_DATA_HOME/aimu`` (``~/.local/share/aimu``),
    or ``%APPDATA%\\aimu`` on Windows.
    """
    folder = os.environ.get("AIMU_DATA_DIR")
    if not folder:
        if sys.platform == "win32" and os.environ.get("APPDATA"):
            base = Path(os.environ["APPDATA"])
        else:
            base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
        folder = str(base / "aimu")
    return Path(folder) / "history.jsonl"


@dataclass(frozen=True)
class ConversationInfo:
    """One row of :meth:`ConversationManager.list_conversations`."""

    id: int
    title: str
    model: str | None
    created: str
    updated: str
    message_count: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ConversationManager:
    """Conversations in one history file, shared safely by threads and processes.

    Args:
        db_path: the history file (created on the first save).
        use_last_conversation: start on the most recently updated conversation
            instead of none (the next save then creates one).
        compact_bytes: see :class:`~aimu_core.history.JournalStorage`.

    Attributes:
        conversation_id: the current conversation's id, or ``None`` before the first save.
    """

    def __init__(
        self,
        db_path: str | os.PathLike[str] = "chat_history.json",
        use_last_conversation: bool = False,
        *,
        compact_bytes: int | None = None,
    ) -> None:
        self.db_path = Path(db_path)
        options = {} if compact_bytes is None else {"compact_bytes": compact_bytes}
        self._db = TinyDB(self.db_path, storage=JournalStorage, **options)
        self._storage: JournalStorage = self._db.storage  # type: ignore[assignment]
        self._table = self._db.table(_TABLE, cache_size=0)
        self.conversation_id: int | None = None
        self._bound: list[Any] = []
        self._saved: dict[int, tuple[Any, list[dict[str, Any]]]] = {}
        if use_last_conversation:
            last = self.list_conversations(limit=1)
            self.conversation_id = last[0].id if last else None

    # -- the seed's API ------------------------------------------------------------------

    @property
    def messages(self) -> list[dict[str, Any]]:
        """A copy of the current conversation's messages (``[]`` when there is none)."""
        if self.conversation_id is None:
            return []
        return self.load_conversation(self.conversation_id, switch=False)

    def create_new_conversation(
        self, title: str = "", model: str | None = None
    ) -> tuple[int, list[dict[str, Any]]]:
        """Start a new, empty conversation and make it the current one; return ``(id, [])``."""
        now = _now()
        doc: dict[str, Any] = {
            "title": title,
            "model": model,
            "created": now,
            "updated": now,
            "messages": [],
        }
        with self._storage.locked():
            new_id = max((int(k) for k in self._storage.read_ids(_TABLE)), default=0) + 1
            self._table.insert(Document(doc, doc_id=new_id))
        self.conversation_id = new_id
        return new_id, []

    def update_conversation(self, messages: list[dict[str, Any]], model: str | None = None) -> None:
        """Save *messages* as the current conversation's whole state (creating it if needed).

        Only the messages after the first that differs from what is stored are
        written; the rest of the file is not touched. Messages are compared with
        those of this manager's last save by identity first: replace a message
        to change it (as clients do), rather than editing its dict in place.
        """
        if self.conversation_id is None:
            self.create_new_conversation(model=model)
        cid = self.conversation_id
        assert cid is not None
        with self._storage.locked():
            doc = self._storage.document(_TABLE, cid)
            if doc is None:
                raise HistoryError(
                    f"conversation {cid} is not in {self.db_path} (deleted by another process?)"
                )
            stored = doc["messages"]
            # The messages of our last save, as the caller's own objects: comparing with
            # them is an identity check per message, cheap however long the conversation.
            revision, saved = self._saved.get(cid, (None, stored))
            now = self._storage.revision(_TABLE, cid)
            keep = _common_prefix(saved if revision == now else stored, messages)
            if keep == len(stored) == len(messages):
                return
            fields: dict[str, Any] = {"updated": _now()}
            if not doc.get("title"):
                fields["title"] = _title(messages)
            if model and not doc.get("model"):
                fields["model"] = model
            self._storage.splice(_TABLE, cid, "messages", keep, list(messages[keep:]), fields)
            self._saved[cid] = (self._storage.revision(_TABLE, cid), list(messages))

    # -- more than the seed ----------------------------------------------------------------

    def list_conversations(self, limit: int | None = None) -> list[ConversationInfo]:
        """The conversations, most recently updated first (at most *limit*)."""
        rows = [
            ConversationInfo(
                id=doc.doc_id,
                title=doc.get("title") or "",
                model=doc.get("model"),
                created=doc.get("created", ""),
                updated=doc.get("updated", ""),
                message_count=len(doc.get("messages", ())),
            )
            for doc in self._table.all()
        ]
        rows.sort(key=lambda row: (row.updated, row.id), reverse=True)
        return rows if limit is None else rows[:limit]

    def load_conversation(
        self, conversation_id: int, *, switch: bool = True
    ) -> list[dict[str, Any]]:
        """A copy of a conversation's messages; it becomes the current one unless ``switch=False``."""
        doc = self._storage.document(_TABLE, conversation_id)
        if doc is None:
            raise HistoryError(
                f"no conversation {conversation_id} in {self.db_path}; `aimu logs` lists them"
            )
        if switch:
            self.conversation_id = conversation_id
        return copy.deepcopy(doc["messages"])

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        with self._storage.locked():
            self._require(conversation_id)
            self._table.update({"title": title}, doc_ids=[conversation_id])

    def delete_conversation(self, conversation_id: int) -> None:
        with self._storage.locked():
            self._require(conversation_id)
            self._table.remove(doc_ids=[conversation_id])
        if self.conversation_id == conversation_id:
            self.conversation_id = None

    def export_conversation(self, conversation_id: int | None = None) -> dict[str, Any]:
        """One conversation (the current one by default) as a JSON-ready dict."""
        cid = self.conversation_id if conversation_id is None else conversation_id
        if cid is None:
            raise HistoryError("there is no current conversation to export; pass an id")
        doc = self._require(cid)
        return {"id": cid, **copy.deepcopy(dict(doc))}

    def export_json(self, conversation_id: int | None = None, indent: int | None = 2) -> str:
        return json.dumps(
            self.export_conversation(conversation_id), indent=indent, ensure_ascii=False
        )

    # -- binding a client ----------------------------------------------------------------------

    def bind(self, client: Any, *, restore: bool = True, model: str | None = None) -> None:
        """Save every completed turn of *client* to the current conversation.

        With ``restore`` and a current conversation, the client's ``messages``
        are first replaced by the stored ones (its system message included).
        A failed turn saves nothing; a save that fails fails the turn.
        """
        if restore:
            self.restore(client)
        label = model or _model_string(client)

        def save(messages: list[dict[str, Any]]) -> None:
            self.update_conversation(messages, model=label)

        save.manager = self  # type: ignore[attr-defined]  # the CLI finds the manager here
        client._after_turn = save
        self._bound.append(client)

    def restore(self, client: Any) -> None:
        """Replace *client*'s ``messages`` (system message included) by the current
        conversation's; nothing happens when there is no current conversation."""
        if self.conversation_id is None:
            return
        stored = self.load_conversation(self.conversation_id, switch=False)
        head = stored[0] if stored and stored[0].get("role") == "system" else None
        client.reset(system_message=head["content"] if head else None)
        client.messages.extend(stored[1:] if head else stored)

    def unbind(self, client: Any) -> None:
        """Stop saving *client*'s turns."""
        client._after_turn = None
        if client in self._bound:
            self._bound.remove(client)

    def close(self) -> None:
        for client in list(self._bound):
            self.unbind(client)
        self._db.close()

    def __enter__(self) -> ConversationManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ConversationManager({str(self.db_path)!r}, conversation_id={self.conversation_id})"

    def _require(self, conversation_id: int) -> dict[str, Any]:
        doc = self._storage.document(_TABLE, conversation_id)
        if doc is None:
            raise HistoryError(
                f"no conversation {conversation_id} in {self.db_path}; `aimu logs` lists them"
            )
        return doc


def _common_prefix(stored: list[Any], messages: list[Any]) -> int:
    """How many leading messages are already stored (one C-level compare when only appended)."""
    n = len(stored)
    if len(messages) >= n and messages[:n] == stored:
        return n
    for index, (old, new) in enumerate(zip(stored, messages, strict=False)):
        if old != new:
            return index
    return min(n, len(messages))


def _title(messages: list[dict[str, Any]]) -> str:
    for message in messages:
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):  # content parts: the text ones
                content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
            text = " ".join(str(content or "").split())
            return text if len(text) <= _TITLE_LIMIT else text[: _TITLE_LIMIT - 1] + "…"
    return ""


def _model_string(client: Any) -> str | None:
    resolved = getattr(client, "resolved", None)
    if resolved is not None:
        return str(resolved.model_string)
    model = getattr(client, "model", None)
    return getattr(model, "value", None)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
