"""``aimu chat``: one message, or a REPL when no prompt is given."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._args import positive_int

__all__ = ["add_parser"]

_DIM, _RESET = "\033[2m", "\033[0m"


def add_parser(commands: Any) -> None:
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
        "--max-tokens", type=positive_int, help="limit the reply's length (an integer > 0)"
    )
    chat.set_defaults(func=_chat)


def _chat(args: argparse.Namespace) -> int:
    from ..models import ModelClient

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
