"""What building a client imports: the client stack, never a runner.

Each check runs in a fresh interpreter, so ``sys.modules`` shows exactly what
one user action loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys

#: The aimu_core modules a sync client of any provider needs (plus its plugin's).
CLIENT_STACK = {
    "aimu_core",
    "aimu_core._builtin",
    "aimu_core.catalog",
    "aimu_core.entry_points",
    "aimu_core.errors",
    "aimu_core.hookspecs",
    "aimu_core.models",
    "aimu_core.models.base",
    "aimu_core.models.client",
    "aimu_core.models.conversation",
    "aimu_core.models.delta",
    "aimu_core.models.generate_kwargs",
    "aimu_core.models.images",
    "aimu_core.models.resolve",
    "aimu_core.models.spec",
    "aimu_core.models.stream",
    "aimu_core.models.structured",
    "aimu_core.models.thinking",
    "aimu_core.plugins",
    "aimu_core.policy",
    "aimu_core.records",
    "aimu_core.tools",
    "aimu_core.tools.context",
    "aimu_core.tools.decorator",
    "aimu_core.tools.lookup",
    "aimu_core.tools.toolbox",
}
#: The scripted provider is the test kit's; it stands in for a plugin here.
KIT = {"aimu_core.testing", "aimu_core.testing.scripted"}


def loaded_after(code: str, *, scripted: bool = True) -> set[str]:
    setup = (
        "import aimu_core, aimu_core.plugins, aimu_core.testing.scripted as s\n"
        "aimu_core.plugins.register(s)\n"
    )
    program = (
        "import json, sys\n"
        f"{setup if scripted else ''}{code}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('aimu_core'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout)) - KIT


def test_a_sync_client_imports_only_the_client_stack() -> None:
    assert loaded_after("aimu_core.client('scripted:scripted').chat('hi')") == CLIENT_STACK


def test_an_async_client_imports_no_runner() -> None:
    code = (
        "import asyncio, aimu_core.aio as aio\n"
        "asyncio.run(aio.client('scripted:scripted').chat('hi'))"
    )
    assert loaded_after(code) == CLIENT_STACK | {"aimu_core.aio"}


def test_the_plugin_surface_loads_nothing_until_used() -> None:
    assert loaded_after("import aimu_core.provider", scripted=False) == {
        "aimu_core",
        "aimu_core.provider",
    }
    # What a plugin module needs at discovery time: the hook marker and its records.
    hook = "from aimu_core.provider import TextProvider, hookimpl"
    assert loaded_after(hook, scripted=False) == {
        "aimu_core",
        "aimu_core.provider",
        "aimu_core.hookspecs",
        "aimu_core.records",
    }
