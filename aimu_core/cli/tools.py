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
    for row in rows:
        row["line"] = f"{row['description']}{' (needs options)' if row['needs_options'] else ''}"
    return print_rows(rows, as_json=args.json)


def _plugin(manager: Any, kind: str, name: str) -> str:
    owner = manager.owner(kind, name)
    return owner.label if owner is not None else "?"


def print_rows(rows: list[dict[str, Any]], *, as_json: bool) -> int:
    """``aimu tools``/``aimu runners`` output: JSON, or one aligned line per name."""
    if as_json:
        print(json.dumps([{k: v for k, v in r.items() if k != "line"} for r in rows], indent=2))
        return 0
    width = max((len(str(row["name"])) for row in rows), default=0)
    for row in rows:
        print(f"{row['name']:<{width}}  {row.get('line', row['description'])}  [{row['plugin']}]")
    return 0
