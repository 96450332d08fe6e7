"""``aimu memory``: the memory backends, and adding to or searching a store from the shell."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ._args import _value  # JSON when it parses, else the string (as -o reads VALUE)

__all__ = ["add_parser"]


def add_parser(commands: Any) -> None:
    mem = commands.add_parser(
        "memory",
        help="list memory backends; add to or search a memory store",
        description="Without a subcommand: the memory backends plugins contribute. STORE is "
        "'backend:location', e.g. documents:./notes or chroma:./memdir.",
    )
    mem.add_argument("--json", action="store_true", help="machine-readable output")
    sub = mem.add_subparsers(dest="action", metavar="ACTION")
    add = sub.add_parser("add", help="store a text")
    add.add_argument("store", help="e.g. documents:./notes")
    add.add_argument("text", help="the text ('-' reads it from stdin)")
    add.add_argument(
        "--meta",
        nargs=2,
        action="append",
        default=[],
        metavar=("KEY", "VALUE"),
        help="metadata, repeatable (VALUE is JSON when it parses, else a string)",
    )
    add.add_argument("--id", help="the item's id (a document store: its path)")
    search = sub.add_parser("search", help="search a store")
    search.add_argument("store", help="e.g. chroma:./memdir")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=5, help="how many results (default 5)")
    for each in (add, search):
        each.add_argument(
            "--embedder", help="embedding model for semantic stores, e.g. hf:all-minilm-l6-v2"
        )
        each.add_argument("--json", action="store_true", help="machine-readable output")
    mem.set_defaults(func=_memory)


def _memory(args: argparse.Namespace) -> int:
    from .. import memory

    if args.action is None:
        rows = [
            {
                "name": name,
                "backend": r.backend,
                "description": r.description,
                "needs": list(r.needs),
            }
            for name, r in memory.available().items()
        ]
        if args.json:
            print(json.dumps(rows, indent=2))
        for row in rows if not args.json else []:
            print(f"{row['name']:<12} {row['description']}")
        return 0
    options = {"embedder": args.embedder} if args.embedder else {}
    store = memory.store(args.store, **options)
    try:
        if args.action == "add":
            import sys

            text = sys.stdin.read() if args.text == "-" else args.text
            meta = {key: _value(value) for key, value in args.meta}
            (item_id,) = store.add(text, meta or None, ids=[args.id] if args.id else None)
            print(json.dumps({"id": item_id}) if args.json else item_id)
            return 0
        hits = store.search(args.query, k=args.k)
        if args.json:
            print(
                json.dumps(
                    [
                        {"id": h.id, "score": h.score, "text": h.text, "metadata": h.metadata}
                        for h in hits
                    ],
                    indent=2,
                    ensure_ascii=False,
                )
            )
        for hit in hits if not args.json else []:
            print(f"{hit.score:.3f}  {hit.id}  {' '.join(hit.text.split())[:100]}")
        return 0
    finally:
        store.close()
