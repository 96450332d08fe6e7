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
_COMMANDS = ("chat", "models", "plugins")


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
    for name in _COMMANDS:
        importlib.import_module(f"{__name__}.{name}").add_parser(commands)
    return parser
