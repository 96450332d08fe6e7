"""``aimu tools``: every tool registered by name, with the plugin that registers it."""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["add_parser"]


def add_parser(commands: Any) -> None:
    tools = commands.add_parser(
        "tools",
        help="list the tools registered by name (client.tools = ['time.now'])",
        description="List the tools plugins register by name. A name 'group.tool' belongs to "
        "a group; the group's name selects all of its tools. Tools marked 'needs options' "
        "are bound first, e.g. aimu_core.tools.select('files', root='notes').",
    )
    tools.add_argument("--json", action="store_true", help="machine-readable output")
    tools.set_defaults(func=_tools)


def _tools(args: argparse.Namespace) -> int:
    from ..plugins import get_manager

    manager = get_manager()
    rows = [
        {
            "name": name,
            "plugin": _plugin(manager, "tools", name),
            "description": record.description,
            "needs_options": record.factory,
        }
        for name, record in sorted(manager.tools.items())
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max((len(str(row["name"])) for row in rows), default=0)
    for row in rows:
        note = " (needs options)" if row["needs_options"] else ""
        print(f"{row['name']:<{width}}  {row['description']}{note}  [{row['plugin']}]")
    return 0


def _plugin(manager: Any, kind: str, name: str) -> str:
    owner = manager.owner(kind, name)
    return owner.label if owner is not None else "?"
