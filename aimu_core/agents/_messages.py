"""A runner's ``messages``: merged by runner name, checked when restored, put back in clients.

Every runner saves and restores the same way: ``messages`` is ``{runner name:
conversation}`` over the runner's own clients and all its members, and
``restore`` validates a saved dict against those names before it changes
anything.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import ConfigurationError

__all__ = ["merge_messages", "restore_client", "validate_saved"]


def merge_messages(
    owner: str, own: Iterable[tuple[str, Any]], members: Iterable[Any]
) -> dict[str, list[dict[str, Any]]]:
    """``{name: messages}`` over a runner's own clients and its members' ``messages``.

    The lists are the live conversations (copy them to save: ``json.dumps``).
    Two different conversations under one name would make ``restore`` ambiguous,
    so that is an error; the same runner used twice is fine.
    """
    merged: dict[str, list[dict[str, Any]]] = {}

    def put(key: str, conversation: list[dict[str, Any]]) -> None:
        if key in merged and merged[key] is not conversation:
            raise ConfigurationError(
                f"two runners inside {owner!r} are named {key!r}; give each a distinct name= "
                "(messages are saved and restored by name)"
            )
        merged[key] = conversation

    for key, client in own:
        put(key, client.messages)
    for member in members:
        for key, conversation in member.messages.items():
            put(key, conversation)
    return merged


def validate_saved(
    owner: str, saved: object, known: Iterable[str]
) -> dict[str, list[dict[str, Any]]]:
    """Check a saved ``messages`` dict against the names a runner has; return it as a dict."""
    if not isinstance(saved, Mapping):
        raise ConfigurationError(
            f"restore() takes the dict-by-name format of {owner!r}.messages, "
            f"got {type(saved).__name__}"
        )
    names = list(known)
    unknown = sorted(set(saved) - set(names))
    if unknown:
        raise ConfigurationError(
            f"restore() got conversations for {unknown}, which {owner!r} does not have; "
            f"its runners are {sorted(names)}"
        )
    for key, conversation in saved.items():
        if not isinstance(conversation, list) or not all(
            isinstance(m, Mapping) and isinstance(m.get("role"), str) for m in conversation
        ):
            raise ConfigurationError(
                f"restore(): the conversation {key!r} must be a list of OpenAI-format messages "
                "(dicts with a 'role')"
            )
    return dict(saved)


def restore_client(client: Any, conversation: list[dict[str, Any]]) -> None:
    """Put a saved conversation back into *client*, in place.

    The system message is configuration, not conversation: a saved leading
    system entry is dropped and the client's current system message kept (so
    a runner whose prompt changed in code uses the new prompt, and it is never
    duplicated).
    """
    messages = [copy.deepcopy(dict(m)) for m in conversation]
    while messages and messages[0].get("role") == "system":
        messages.pop(0)
    system = client.system_message
    client.messages[:] = messages
    client.system_message = system
