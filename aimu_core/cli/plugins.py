"""``aimu plugins``: discovered plugins, their status, and an exit status for admins' scripts."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["add_parser"]


def add_parser(commands: Any) -> None:
    plugins = commands.add_parser(
        "plugins",
        help="list discovered plugins and their status",
        description="List discovered plugins and their status. Exit status: 0 when no plugin "
        "failed, 1 when one failed (or the policy is invalid); with --check, warnings "
        "(prefix conflicts, misspelled hooks, no AIMU_PLUGIN_API) count as failures too.",
    )
    plugins.add_argument("--json", action="store_true", help="machine-readable output")
    plugins.add_argument(
        "--check",
        action="store_true",
        help="exit 1 on any warning too, not only on a failed plugin (for admins' scripts)",
    )
    plugins.set_defaults(func=_plugins)


def _plugins(args: argparse.Namespace) -> int:
    from ..plugins import get_manager

    manager = get_manager()
    infos = manager.plugins
    autoload_note = (
        None
        if manager.policy.autoload
        else f"Plugin autoload is off ({manager.autoload_off_by()}): installed plugins were "
        "not searched; only core and plugins registered in code load."
    )
    if args.json:
        print(json.dumps([info.to_dict() for info in infos], indent=2))
        if autoload_note:
            print(f"note: {autoload_note}", file=sys.stderr)
        return _plugins_status(manager, strict=args.check)
    if autoload_note:
        print(autoload_note)
    for info in infos:
        version = f" {info.version}" if info.version else ""
        where = f" [{info.entry_point}]" if info.entry_point else ""
        print(
            f"{info.name} ({info.distribution or 'registered in code'}{version}){where}: {info.status}"
        )
        if info.reason:
            print(f"    {info.reason}")
        if info.hooks:
            print(f"    hooks: {', '.join(info.hooks)}")
        for kind, names in info.contributes.items():
            print(f"    {kind.replace('_', ' ')}: {', '.join(names)}")
        for warning in info.warnings:
            print(f"    warning: {warning}")
        if info.entry_point:
            print(f"    import time: {info.import_seconds * 1000:.1f} ms")
    return _plugins_status(manager, strict=args.check)


def _plugins_status(manager: Any, *, strict: bool) -> int:
    """``aimu plugins``' exit status: 1 when a plugin failed (with ``--check``: or warned)."""
    failed = [p.label for p in manager.plugins if p.status == "failed"]
    warned = [p.label for p in manager.plugins if p.warnings] if strict else []
    if failed:
        print(f"error: plugins failed to load: {', '.join(failed)}", file=sys.stderr)
    if warned:
        print(f"error: plugins with warnings (--check): {', '.join(warned)}", file=sys.stderr)
    return 1 if failed or warned else 0
