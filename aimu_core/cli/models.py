"""``aimu models``: every model of every loaded provider."""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["add_parser"]


def add_parser(commands: Any) -> None:
    models = commands.add_parser("models", help="list every model of every loaded provider")
    models.add_argument("--json", action="store_true", help="machine-readable output")
    models.add_argument(
        "--options",
        metavar="MODEL",
        help="list the provider options and generation kwargs MODEL accepts (for -o KEY VALUE)",
    )
    models.set_defaults(func=_models)


def _models(args: argparse.Namespace) -> int:
    if args.options:
        return _options(args.options, as_json=args.json)
    from ..plugins import get_manager

    manager = get_manager()
    rows: list[dict[str, Any]] = []
    providers: list[tuple[str, Any, Any, str | None]] = [
        (prefix, record, manager.owner("text_providers", prefix), None)
        for prefix, record in manager.text_providers.items()
    ]
    # A prefix two plugins claim is unusable (PluginConflictError), but listed, marked.
    for (kind, prefix), claims in manager.conflicted.items():
        if kind == "text_providers":
            claimants = " and ".join(manager.conflicts[(kind, prefix)])
            providers += [(prefix, record, owner, claimants) for record, owner in claims]
    providers.sort(key=lambda p: (p[0], p[2].label if p[2] else ""))
    for prefix, record, owner, conflict in providers:
        if prefix != record.name:
            continue  # an alias: listed under the provider's own name
        plugin = owner.label if owner else ""
        members = list(record.models) if record.models else []
        for member in members:
            rows.append(
                {
                    "model": f"{prefix}:{member.value}",
                    "provider": prefix,
                    "plugin": plugin,
                    "tools": member.supports_tools,
                    "thinking": member.supports_thinking,
                    "vision": member.supports_vision,
                    "conflict": conflict,
                }
            )
        if record.open_catalog:
            suffix = "<id>@<url>" if record.requires_base_url else "<id>"
            rows.append(
                {
                    "model": f"{prefix}:{suffix}",
                    "provider": prefix,
                    "plugin": plugin,
                    "tools": None,
                    "thinking": None,
                    "vision": None,
                    "conflict": conflict,
                }
            )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("No models: no provider plugin is loaded. See `aimu plugins`.")
        return 0
    width = max(len(r["model"]) for r in rows)
    for row in rows:
        if row["tools"] is None:
            caps = "any model id; capabilities from ;flags"
        else:
            caps = ", ".join(c for c in ("tools", "thinking", "vision") if row[c]) or "-"
        if row["conflict"]:
            caps += f"  [conflicted: claimed by {row['conflict']}; unusable until one is removed]"
        print(f"{row['model']:<{width}}  {caps}")
    return 0


def _options(model: str, *, as_json: bool) -> int:
    """``aimu models --options MODEL``: what ``-o KEY VALUE`` accepts for MODEL."""
    from ..models.client import resolve
    from ._args import option_names

    resolved = resolve(model)
    generation, options = option_names(resolved)
    if as_json:
        print(json.dumps({"options": options, "generate_kwargs": sorted(generation)}, indent=2))
        return 0
    print(f"{resolved.model_string}")
    print(f"  provider options:   {', '.join(options)}")
    print(f"  generation kwargs:  {', '.join(sorted(generation)) or '-'}")
    return 0
