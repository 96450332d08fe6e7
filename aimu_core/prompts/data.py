"""Evaluation data as a list of rows (dicts), from whatever the user holds.

A list of dicts, a CSV or JSONL (or JSON list) file, or a pandas DataFrame
(anything with ``to_dict(orient="records")``, so pandas is never imported here).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError

__all__ = ["load_rows"]


def load_rows(data: Any) -> list[dict[str, Any]]:
    """The rows of *data*, each a new dict; raises ``ConfigurationError`` naming what is wrong."""
    if isinstance(data, str | Path):
        rows = _read_file(Path(data))
    elif callable(getattr(data, "to_dict", None)) and hasattr(data, "columns"):
        rows = data.to_dict(orient="records")
    elif isinstance(data, list | tuple):
        rows = list(data)
    else:
        raise ConfigurationError(
            f"evaluation data must be a list of dicts, a CSV/JSONL path or a DataFrame, "
            f"got {type(data).__name__}"
        )
    for number, row in enumerate(rows, 1):
        if not isinstance(row, Mapping):
            raise ConfigurationError(
                f"row {number} of the evaluation data is a {type(row).__name__}, not a dict"
            )
    if not rows:
        raise ConfigurationError("the evaluation data has no rows")
    return [{str(k): v for k, v in row.items()} for row in rows]


def _read_file(path: Path) -> list[Any]:
    if not path.is_file():
        raise ConfigurationError(f"no evaluation data file at {str(path)!r}")
    suffix = path.suffix.lower()
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:  # a BOM (Excel) is dropped
            if suffix == ".csv":
                return list(csv.DictReader(handle))
            if suffix in (".jsonl", ".ndjson"):
                return [
                    _json_line(line, number, path)
                    for number, line in enumerate(handle, 1)
                    if line.strip()
                ]
            if suffix == ".json":
                loaded = json.load(handle)
                if isinstance(loaded, list):
                    return loaded
                raise ConfigurationError(f"{str(path)!r} must hold a JSON list of objects")
    except (UnicodeDecodeError, json.JSONDecodeError, csv.Error) as exc:
        raise ConfigurationError(f"cannot read {str(path)!r}: {exc}") from exc
    raise ConfigurationError(
        f"cannot read evaluation data from {str(path)!r}: use a .csv, .jsonl or .json file"
    )


def _json_line(line: str, number: int, path: Path) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"line {number} of {str(path)!r} is not JSON: {exc}") from exc
