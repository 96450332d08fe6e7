"""Filling a prompt template from a data row, shared by the tuners and ``Benchmark``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..agents.prompts import fill
from ..errors import ConfigurationError

__all__ = ["fill_row"]


def fill_row(template: str, row: Mapping[str, Any]) -> str:
    """*template* with its ``{column}`` placeholders filled from *row* (other braces kept).

    A template with no placeholder of the row's columns is an instruction: the
    row's ``content`` (or ``input``) follows it after a blank line.
    """
    values = {k: v if isinstance(v, str) else json.dumps(v, default=str) for k, v in row.items()}
    if any("{" + key + "}" in template for key in values):
        return fill(template, **values)
    content = values.get("content", values.get("input"))
    if content is None:
        raise ConfigurationError(
            "the prompt has no {column} placeholder for this row and the row has no 'content' "
            "column: write the prompt with placeholders such as {content}"
        )
    return f"{template}\n\n{content}"
