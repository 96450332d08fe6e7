"""``aimu runners``: every runner registered by name, with the plugin that registers it."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .tools import _plugin

__all__ = ["add_parser"]


def add_parser(commands: Any) -> None:
    runners = commands.add_parser(
        "runners",
        help="list the runners registered by name (aimu_core.agents.get('chain'))",
        description="List the agents and workflows plugins register by name, with the class "
        "each name imports (and its async twin).",
    )
    runners.add_argument("--json", action="store_true", help="machine-readable output")
    runners.set_defaults(func=_runners)


def _runners(args: argparse.Namespace) -> int:
    from ..plugins import get_manager

    manager = get_manager()
    rows = [
        {
            "name": name,
            "plugin": _plugin(manager, "runners", name),
            "runner": record.runner,
            "async_runner": record.async_runner,
            "description": record.description,
        }
        for name, record in sorted(manager.runners.items())
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max((len(str(row["name"])) for row in rows), default=0)
    for row in rows:
        print(f"{row['name']:<{width}}  {row['description']}  [{row['plugin']}]")
    return 0
