"""Conversation history: conversations kept whole in a crash-safe TinyDB file.

``ConversationManager`` is the API (:mod:`aimu_core.history.manager`);
``JournalStorage`` the TinyDB storage under it (:mod:`aimu_core.history.journal`).
Importing this package is cheap: TinyDB and filelock load with the first name used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .journal import JournalStorage
    from .manager import ConversationInfo, ConversationManager, default_history_path

__all__ = ["ConversationInfo", "ConversationManager", "JournalStorage", "default_history_path"]

_WHERE = {
    "ConversationInfo": "manager",
    "ConversationManager": "manager",
    "default_history_path": "manager",
    "JournalStorage": "journal",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
