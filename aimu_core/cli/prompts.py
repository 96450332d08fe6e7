"""``aimu prompts list`` and ``aimu prompts show``: read a prompt catalog from the shell."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

__all__ = ["add_parser"]

#: The catalog file when neither --db nor $AIMU_PROMPTS_DB names one.
DEFAULT_DB = "prompts.db"


def add_parser(commands: Any) -> None:
    prompts = commands.add_parser(
        "prompts",
        help="list and show the prompts of a prompt catalog",
        description="Read a PromptCatalog (SQLite). The file is --db, else $AIMU_PROMPTS_DB, "
        f"else ./{DEFAULT_DB}.",
    )
    actions = prompts.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the latest version of every prompt")
    _common(listing)
    listing.add_argument("--name", help="only the prompts of this name")
    listing.set_defaults(func=_list)
    show = actions.add_parser("show", help="one prompt (the latest version by default)")
    _common(show)
    show.add_argument("name", help="the prompt's name")
    show.add_argument("--model", help="the model id (needed when the name has several)")
    show.add_argument("--version", type=int, help="this version, not the latest")
    show.add_argument("--history", action="store_true", help="every version, oldest first")
    show.set_defaults(func=_show)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", help=f"the catalog file (default: $AIMU_PROMPTS_DB or {DEFAULT_DB})"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _catalog(args: argparse.Namespace) -> Any:
    from ..errors import ConfigurationError
    from ..prompts.catalog import PromptCatalog

    path = args.db or os.environ.get("AIMU_PROMPTS_DB") or DEFAULT_DB
    if not os.path.isfile(path):
        raise ConfigurationError(
            f"no prompt catalog at {path!r}; pass --db PATH or set AIMU_PROMPTS_DB"
        )
    return PromptCatalog(path)


def _list(args: argparse.Namespace) -> int:
    prompts = _catalog(args).list(args.name)
    if args.json:
        print(json.dumps([vars(p) for p in prompts], indent=2))
        return 0
    if not prompts:
        print("no prompts")
    for p in prompts:
        first = p.prompt.strip().splitlines()[0] if p.prompt.strip() else ""
        print(f"{p.name}  {p.model_id}  v{p.version}  {_metrics(p.metrics)}")
        print(f"    {first[:100]}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from ..errors import ConfigurationError

    catalog = _catalog(args)
    model = args.model
    if model is None:
        models = sorted({p.model_id for p in catalog.list(args.name)})
        if not models:
            raise ConfigurationError(f"no prompt named {args.name!r} in {str(catalog.db_path)!r}")
        if len(models) > 1:
            raise ConfigurationError(
                f"the prompt {args.name!r} exists for several models ({', '.join(models)}); "
                "choose one with --model"
            )
        model = models[0]
    if args.history:
        prompts = catalog.history(args.name, model)
    else:
        found = catalog.get(args.name, model, args.version)
        prompts = [found] if found is not None else []
    if not prompts:
        version = f" version {args.version}" if args.version else ""
        raise ConfigurationError(f"no prompt {args.name!r}{version} for the model {model!r}")
    if args.json:
        print(json.dumps([vars(p) for p in prompts], indent=2))
        return 0
    for p in prompts:
        print(f"# {p.name}  {p.model_id}  v{p.version}  {p.created_at}")
        print(f"# {_metrics(p.metrics)}")
        print(p.prompt)
    return 0


def _metrics(metrics: dict[str, Any]) -> str:
    return " ".join(
        f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(metrics.items())
    )
