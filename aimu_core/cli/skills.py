"""``aimu skills list`` and ``aimu skills serve``: the skills found, and serving them over MCP."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..errors import ConfigurationError, PluginUnavailableError

__all__ = ["add_parser"]


def add_parser(commands: Any) -> None:
    skills = commands.add_parser(
        "skills",
        help="list skills (SKILL.md folders) or serve them over MCP",
        description="List the skills found in skill folders (the default folders: "
        ".agents/skills, .claude/skills, then the same under ~), or serve them as an MCP "
        "server over stdio (needs aimu-mcp).",
    )
    actions = skills.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list the skills, their scripts and any errors")
    listing.add_argument("folders", nargs="*", help="skill folders (default: the default folders)")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=_list)
    serve = actions.add_parser(
        "serve",
        help="serve the skills as an MCP server over stdio (activate_skill and one tool per script)",
    )
    serve.add_argument("folders", nargs="*", help="skill folders (default: the default folders)")
    serve.add_argument("--name", default="aimu-skills", help="the server's name")
    serve.add_argument(
        "--timeout", type=float, default=None, help="seconds a script may run (default 30)"
    )
    serve.set_defaults(func=_serve)


def _manager(folders: list[str]) -> Any:
    from ..skills import SkillManager

    return SkillManager(folders or None)


def _list(args: argparse.Namespace) -> int:
    manager = _manager(args.folders)
    scripts: dict[str, list[str]] = {}
    for script in manager.scripts():
        scripts.setdefault(script.skill, []).append(script.tool_name)
    if args.json:
        entries = [
            {
                "name": s.name,
                "description": s.description,
                "path": str(s.path),
                "scripts": scripts.get(s.name, []),
            }
            for s in manager
        ]
        errors = [str(e) for e in manager.errors]
        print(json.dumps({"skills": entries, "errors": errors}, indent=2))
    else:
        if not len(manager) and not manager.errors:
            searched = ", ".join(str(d) for d in manager.skill_dirs)
            print(f"no skills found (searched: {searched})")
        for skill in manager:
            print(f"{skill.name}: {skill.description}")
            print(f"    {skill.path}")
            if skill.name in scripts:
                print(f"    scripts: {', '.join(scripts[skill.name])}")
        for error in manager.errors:
            print(f"error: {' '.join(str(error).split())}", file=sys.stderr)
    return 1 if manager.errors else 0


def _serve(args: argparse.Namespace) -> int:
    try:
        from aimu_mcp import skills_server
    except ImportError:
        raise PluginUnavailableError(
            "aimu skills serve needs the aimu-mcp plugin: pip install aimu-mcp"
        ) from None
    if args.timeout is not None and args.timeout <= 0:
        raise ConfigurationError(f"--timeout must be > 0 seconds, got {args.timeout:g}")
    manager = _manager(args.folders)
    for error in manager.errors:
        print(f"error: {' '.join(str(error).split())}", file=sys.stderr)
    server = skills_server(manager, name=args.name, timeout=args.timeout)
    server.run(show_banner=False, log_level="ERROR")  # stdio until the client closes it
    return 0
