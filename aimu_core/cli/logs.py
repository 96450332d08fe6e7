"""``aimu logs``, and the history flags of ``aimu chat`` (``-c``, ``--cid``, ``--no-log``).

``aimu chat`` saves each exchange to the history file
(:func:`aimu_core.history.default_history_path`: ``AIMU_DATA_DIR`` moves it),
as users of ``llm`` expect; ``aimu logs`` lists the saved conversations. The
helpers here keep chat.py's share of history to one call per place.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = [
    "add_history_arguments",
    "add_parser",
    "keep_history",
    "move_history",
    "new_conversation",
]


def add_parser(commands: Any) -> None:
    logs = commands.add_parser(
        "logs",
        help="list saved conversations (aimu chat saves each exchange)",
        description="List the conversations `aimu chat` saved, most recent first. Continue one "
        "with `aimu chat -c` (the last) or `aimu chat --cid ID`.",
    )
    logs.add_argument("-n", "--count", type=int, default=10, help="how many (0: all; default 10)")
    logs.add_argument("--json", action="store_true", help="machine-readable output")
    logs.add_argument("--cid", type=int, help="show one conversation's messages")
    logs.add_argument("--path", action="store_true", help="print the history file's path")
    logs.set_defaults(func=_logs)


def _logs(args: argparse.Namespace) -> int:
    from ..history import ConversationManager, default_history_path

    path = default_history_path()
    if args.path:
        print(path)
        return 0
    if not path.exists():
        print("[]" if args.json else f"(no conversations yet; they are saved to {path})")
        return 0
    manager = ConversationManager(path)
    if args.cid is not None:
        return _show(manager, args)
    rows = manager.list_conversations(limit=args.count if args.count > 0 else None)
    if args.json:
        print(json.dumps([row.to_dict() for row in rows], indent=2, ensure_ascii=False))
        return 0
    for row in rows:
        print(
            f"{row.id:>5}  {row.updated[:19].replace('T', ' ')}  {row.message_count:>4} msgs  "
            f"{row.model or '-'}  {row.title}"
        )
    return 0


def _show(manager: Any, args: argparse.Namespace) -> int:
    if args.json:
        print(manager.export_json(args.cid))
        return 0
    for message in manager.load_conversation(args.cid, switch=False):
        content = message.get("content")
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        print(f"## {message.get('role', '?')}\n\n{text}\n")
    return 0


# -- aimu chat's history -------------------------------------------------------------------


def add_history_arguments(parser: argparse.ArgumentParser) -> None:
    """``-c``, ``--cid`` and ``--no-log`` for ``aimu chat``."""
    parser.add_argument(
        "-c",
        "--continue",
        dest="continue_",
        action="store_true",
        help="continue the last conversation",
    )
    parser.add_argument("--cid", type=int, help="continue conversation ID (see `aimu logs`)")
    parser.add_argument(
        "--no-log", action="store_true", help="do not save this chat to the history file"
    )


def keep_history(args: argparse.Namespace, client: Any) -> None:
    """Restore the conversation ``-c``/``--cid`` name into *client*; save its turns unless
    ``--no-log``. A ``-s`` given with them replaces the stored system message."""
    if args.no_log and not (args.continue_ or args.cid is not None):
        return
    from ..history import ConversationManager, default_history_path

    # use_last_conversation reads the file: a corrupt one fails here, before the model is asked.
    manager = ConversationManager(default_history_path(), use_last_conversation=True)
    if not args.continue_:
        manager.conversation_id = None
    if args.cid is not None:
        manager.load_conversation(args.cid)
    if args.no_log:
        manager.restore(client)
    else:
        manager.bind(client)
    if args.system is not None:
        client.system_message = args.system


def new_conversation(client: Any) -> None:
    """After ``/reset``: the next saved turn starts a new conversation."""
    manager = _manager_of(client)
    if manager is not None:
        manager.conversation_id = None


def move_history(old: Any, new: Any) -> None:
    """After ``/model``: save *new*'s turns instead, in a new conversation."""
    manager = _manager_of(old)
    if manager is not None:
        manager.unbind(old)
        manager.conversation_id = None
        manager.bind(new, restore=False)


def _manager_of(client: Any) -> Any:
    return getattr(getattr(client, "_after_turn", None), "manager", None)
