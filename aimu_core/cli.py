"""The ``aimu`` command: ``aimu chat``, ``aimu models``, ``aimu plugins``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from .errors import AimuError

__all__ = ["main"]

_DIM, _RESET = "\033[2m", "\033[0m"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except AimuError as exc:
        # One line, whatever the message holds: scripts read the first line of stderr.
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aimu", description="Chat with language models through aimu-core and its plugins."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    chat = commands.add_parser("chat", help="chat with a model (a REPL when no prompt is given)")
    chat.add_argument("prompt", nargs="?", help="the message; '-' reads it from stdin")
    chat.add_argument(
        "-m",
        "--model",
        help="model string, e.g. llamacpp:gemma-3-270m (default: "
        "AIMU_LANGUAGE_MODEL, then a locally available model)",
    )
    chat.add_argument("-s", "--system", help="system message")
    chat.add_argument("--no-stream", action="store_true", help="print the reply when complete")
    chat.add_argument(
        "--max-tokens", type=_positive_int, help="limit the reply's length (an integer > 0)"
    )
    chat.set_defaults(func=_chat)

    models = commands.add_parser("models", help="list every model of every loaded provider")
    models.add_argument("--json", action="store_true", help="machine-readable output")
    models.set_defaults(func=_models)

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
    return parser


def _positive_int(text: str) -> int:
    """An integer > 0, as the portable ``max_tokens`` must be; else an argparse usage error."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not an integer > 0")
    return value


# -- chat ------------------------------------------------------------------------------


def _chat(args: argparse.Namespace) -> int:
    from .models import ModelClient

    client = ModelClient(args.model, system_message=args.system)
    kwargs = {"max_tokens": args.max_tokens} if args.max_tokens is not None else None
    if args.prompt is not None:
        prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
        _reply(client, prompt, kwargs, stream=not args.no_stream)
        return 0
    if sys.stdin.isatty():
        print(
            f"Chatting with {client.resolved.model_string}. Ctrl-D or 'exit' to quit.",
            file=sys.stderr,
        )
    while True:
        try:
            line = input("> " if sys.stdin.isatty() else "")
        except EOFError:
            return 0
        if line.strip() in {"exit", "quit"}:
            return 0
        if line.strip():
            _reply(client, line, kwargs, stream=not args.no_stream)


def _reply(client: Any, prompt: str, kwargs: dict[str, Any] | None, *, stream: bool) -> None:
    if not stream:
        print(client.chat(prompt, generate_kwargs=kwargs, use_tools=False))
        return
    dim = sys.stderr.isatty()
    for chunk in client.chat(prompt, generate_kwargs=kwargs, use_tools=False, stream=True):
        if chunk.phase == "thinking":
            sys.stderr.write(f"{_DIM}{chunk.content}{_RESET}" if dim else chunk.content)
            sys.stderr.flush()
        elif chunk.phase == "generating":
            sys.stdout.write(chunk.content)
            sys.stdout.flush()
    sys.stdout.write("\n")


# -- models and plugins --------------------------------------------------------------------


def _models(args: argparse.Namespace) -> int:
    from .plugins import get_manager

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


def _plugins(args: argparse.Namespace) -> int:
    from .plugins import get_manager

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


if __name__ == "__main__":
    raise SystemExit(main())
