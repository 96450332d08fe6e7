"""Runs the examples in the documentation (README.md, docs/, plugins/*/README.md).

pytest collects a Markdown file given on its command line (each tox env names
the pages its installed plugins can run; tests/test_docs_examples.py checks
that every page with an example is named by one env). Each page is one
namespace, run top to bottom:

- a ```python block runs as it is written;
- a ```bash block runs in bash (``set -euo pipefail``) in a fresh temporary
  folder, except its install lines (``pip install ...``), which the tox env's
  own deps did;
- ``<!-- skip: next "why" -->`` before a block skips it, saying why (a cloud
  key, a GPU, a download); ```console and ```text blocks show output only.

Sybil (https://sybil.readthedocs.io) does the parsing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

try:
    from sybil import Sybil
    from sybil.parsers.markdown import CodeBlockParser, PythonCodeBlockParser, SkipParser
except ImportError:  # only the envs that run the docs install Sybil
    Sybil = None

# `aimu chat` logs conversations under the user's data home (aimu_core.history): keep those
# of every test and example out of it. Subprocesses inherit the variable.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="aimu-test-data-")

_INSTALL = re.compile(r"^\s*(python3? -m )?(uv )?pip install\b")
_SHELL_TIMEOUT = 300
# Commands like `aimu` are the ones installed beside the Python running the docs.
_PATH = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def _run_shell(example: Any) -> None:
    lines = [line for line in example.parsed.splitlines() if not _INSTALL.match(line)]
    script = "\n".join(lines).strip()
    if not script:
        return
    with tempfile.TemporaryDirectory(prefix="aimu-doc-") as cwd:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_SHELL_TIMEOUT,
            env={**os.environ, "PATH": _PATH, "AIMU_REPO": str(Path(__file__).parent)},
        )
    if result.returncode != 0:
        raise AssertionError(
            f"shell block exited {result.returncode}:\n{script}\n--- stdout\n"
            f"{result.stdout[-2000:]}\n--- stderr\n{result.stderr[-2000:]}"
        )


if Sybil is not None:
    pytest_collect_file = Sybil(
        parsers=[
            PythonCodeBlockParser(),
            CodeBlockParser(language="bash", evaluator=_run_shell),
            SkipParser(),
        ],
        patterns=["*.md"],
    ).pytest()
