"""``aimu chat``: one message, or a REPL when no prompt is given.

The REPL survives errors: a failed turn prints one ``error:`` line on stderr,
leaves the conversation as it was before that turn (the client's contract) and
waits for the next line. Lines starting with ``/`` are commands (``/help``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import AimuError
from ._args import add_model_arguments, client_from_args, prompt_text
from .logs import add_history_arguments, keep_history, move_history, new_conversation

__all__ = ["add_parser"]

_DIM, _RESET = "\033[2m", "\033[0m"

_HELP = """\
/reset          start a new conversation (the system message is kept)
/system TEXT    set the system message (/system alone clears it)
/model STRING   switch to another model, starting a new conversation
/help           this list
/exit           leave (also 'exit', 'quit' or Ctrl-D)"""


def add_parser(commands: Any) -> None:
    chat = commands.add_parser(
        "chat",
        help="chat with a model (a REPL when no prompt is given)",
        description="Chat with a model. With a prompt: one reply. Without: a REPL that keeps "
        "the conversation; type /help there for its commands.",
    )
    chat.add_argument(
        "prompt", nargs="?", type=prompt_text, help="the message; '-' reads it from stdin"
    )
    add_model_arguments(chat)
    chat.add_argument("-s", "--system", help="system message")
    add_history_arguments(chat)
    chat.set_defaults(func=_chat)


def _chat(args: argparse.Namespace) -> int:
    client, kwargs = client_from_args(args, system_message=args.system)
    keep_history(args, client)
    if args.prompt is not None:
        prompt = read_prompt(args.prompt)
        _reply(client, prompt, kwargs, stream=not args.no_stream)
        return 0
    return _repl(client, kwargs, args)


def read_prompt(argument: str) -> str:
    """The prompt argument, or stdin for ``-``; an empty prompt is a usage error."""
    if argument != "-":
        return argument
    text = sys.stdin.read()
    if not text.strip():
        raise SystemExit("error: the prompt read from stdin is empty")
    return text


def _repl(client: Any, kwargs: dict[str, Any], args: argparse.Namespace) -> int:
    interactive = sys.stdin.isatty()
    if interactive:
        print(
            f"Chatting with {client.resolved.model_string}. /help for commands, "
            "Ctrl-D or /exit to quit.",
            file=sys.stderr,
        )
    while True:
        try:
            line = input("> " if interactive else "")
        except EOFError:
            return 0
        text = line.strip()
        if not text:
            continue
        if text in {"exit", "quit"}:
            return 0
        try:
            if text.startswith("/"):
                client = _command(text, client, args)
                if client is None:
                    return 0
                continue
            _reply(client, line, kwargs, stream=not args.no_stream)
        except AimuError as exc:
            # The turn is rolled back by the client; say why and take the next line.
            print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        except KeyboardInterrupt:
            # Ctrl-C stops this reply only; the conversation is as before the turn.
            print("\n(interrupted)", file=sys.stderr)


def _command(text: str, client: Any, args: argparse.Namespace) -> Any:
    """Run a ``/command``; return the client to go on with, or None to leave."""
    name, _, rest = text.partition(" ")
    rest = rest.strip()
    if name in {"/exit", "/quit"}:
        return None
    if name == "/help":
        print(_HELP, file=sys.stderr)
    elif name == "/reset":
        client.reset()
        new_conversation(client)
        print("(new conversation)", file=sys.stderr)
    elif name == "/system":
        client.system_message = rest or None
        print("(system message set)" if rest else "(system message cleared)", file=sys.stderr)
    elif name == "/model":
        if not rest:
            print(f"(model: {client.resolved.model_string})", file=sys.stderr)
            return client
        args.model = rest
        new, _ = client_from_args(args, system_message=client.system_message)
        move_history(client, new)
        print(f"(now chatting with {new.resolved.model_string})", file=sys.stderr)
        return new
    else:
        print(f"error: unknown command {name[:40]!r}; /help lists them", file=sys.stderr)
    return client


def _reply(client: Any, prompt: str, kwargs: dict[str, Any], *, stream: bool) -> None:
    if not stream:
        print(client.chat(prompt, generate_kwargs=kwargs or None, use_tools=False))
        return
    write_stream(client.chat(prompt, generate_kwargs=kwargs or None, use_tools=False, stream=True))


def write_stream(chunks: Any) -> None:
    """Reply text to stdout as it comes; thinking to stderr (dimmed on a terminal); a note
    on stderr when the reply was cut by the token limit."""
    dim = sys.stderr.isatty()
    finish = None
    for chunk in chunks:
        if chunk.phase == "thinking":
            sys.stderr.write(f"{_DIM}{chunk.content}{_RESET}" if dim else chunk.content)
            sys.stderr.flush()
        elif chunk.phase == "generating":
            sys.stdout.write(chunk.content)
            sys.stdout.flush()
        elif chunk.phase == "done" and isinstance(chunk.content, dict):
            finish = chunk.content.get("finish_reason")
    sys.stdout.write("\n")
    if finish == "length":
        sys.stdout.flush()
        print("(the reply was cut by the token limit; raise it with --max-tokens)", file=sys.stderr)
