"""What a piece of code imports, seen from a fresh interpreter.

``sys.modules`` of a test process holds whatever earlier tests imported, so
import-cost checks run the code in a new ``python -c`` and read its
``sys.modules`` back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping

__all__ = ["RUNNER_PACKAGES", "modules_after"]

#: Packages that building or using a model client must never import.
RUNNER_PACKAGES = ("aimu_core.agents", "aimu_core.skills")


def modules_after(
    code: str, *, prefix: str = "aimu", env: Mapping[str, str] | None = None
) -> set[str]:
    """The modules whose name starts with *prefix* loaded after running *code* in a fresh
    interpreter (with this interpreter's environment plus *env*)."""
    program = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({prefix!r}))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )
    if done.returncode != 0:
        raise AssertionError(f"the code failed in a fresh interpreter:\n{done.stderr}")
    return set(json.loads(done.stdout.splitlines()[-1]))
