"""The ``aimu`` command.

One module per subcommand (``chat``, ``models``, ``plugins`` ...); each exposes
``add_parser(commands)``, which adds its subparser and sets ``func``, the
function run with the parsed arguments. :func:`main` assembles them in
:data:`_COMMANDS` order and turns :class:`~aimu_core.errors.AimuError` into one
line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ..errors import AimuError

__all__ = ["main"]

# Subcommand modules, in the order `aimu --help` lists them. A module is
# imported only to add its parser: keep their top-level imports cheap.
_COMMANDS = (
    "chat",
    "complete",
    "image",
    "models",
    "plugins",
    "tools",
    "runners",
    "prompts",
    "logs",
    "memory",
    "skills",
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return 2
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
    parser.add_argument(
        "--version",
        action=_Version,
        nargs=0,
        help="print the versions of aimu-core and of every plugin, then exit",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        importlib.import_module(f"{__name__}.{name}").add_parser(commands)
    return parser


class _Version(argparse.Action):
    """``aimu --version``: aimu-core's version, then one line per discovered plugin."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from .. import __version__
        from ..plugins import get_manager

        lines = [f"aimu-core {__version__}"]
        for info in get_manager().plugins:
            if info.distribution and info.distribution != "aimu-core":
                status = "" if info.status == "loaded" else f" ({info.status})"
                lines.append(f"{info.distribution} {info.version or '?'}{status}")
        print("\n".join(lines))
        parser.exit()
