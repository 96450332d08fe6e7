"""``aimu runners``: every runner registered by name, with the plugin that registers it."""

from __future__ import annotations

import argparse
from typing import Any

from .tools import _plugin, print_rows

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
    return print_rows(rows, as_json=args.json)
