"""Filling a prompt template from a data row, shared by the tuners and ``Benchmark``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigurationError

__all__ = ["fill_row"]

_PLACEHOLDER = re.compile(r"\{([^{}\s]+)\}")


def fill_row(template: str, row: Mapping[str, Any]) -> str:
    """*template* with its ``{column}`` placeholders filled from *row* (other braces kept).

    A template with no placeholder of the row's columns is an instruction: the
    row's ``content`` (or ``input``) follows it after a blank line.
    """
    values = {k: v if isinstance(v, str) else json.dumps(v, default=str) for k, v in row.items()}
    if any("{" + key + "}" in template for key in values):
        # One pass: a value that itself holds "{column}" is inserted as it is, never filled again.
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
    content = values.get("content", values.get("input"))
    if content is None:
        raise ConfigurationError(
            "the prompt has no {column} placeholder for this row and the row has no 'content' "
            "column: write the prompt with placeholders such as {content}"
        )
    return f"{template}\n\n{content}"
