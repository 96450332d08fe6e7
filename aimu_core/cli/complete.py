"""``aimu complete``: a raw completion through ``generate()``, no chat template.

For base models (the embedded Gemma is one): the text continues the prompt.
"""

from __future__ import annotations

import argparse
from typing import Any

from ._args import add_model_arguments, client_from_args, prompt_text
from .chat import read_prompt, write_stream

__all__ = ["add_parser"]


def add_parser(commands: Any) -> None:
    complete = commands.add_parser(
        "complete",
        help="continue a text with a raw completion (generate(), no chat template)",
        description="Continue the prompt with a raw completion, as base models expect. "
        "`aimu chat` instead sends it as a chat message.",
    )
    complete.add_argument("prompt", type=prompt_text, help="the text; '-' reads it from stdin")
    add_model_arguments(complete)
    complete.set_defaults(func=_complete)


def _complete(args: argparse.Namespace) -> int:
    client, kwargs = client_from_args(args)
    prompt = read_prompt(args.prompt)
    if args.no_stream:
        print(client.generate(prompt, generate_kwargs=kwargs or None))
    else:
        write_stream(client.generate(prompt, generate_kwargs=kwargs or None, stream=True))
    return 0
