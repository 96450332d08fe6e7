"""Shared fixtures: fixture plugin distributions on a path, and a subprocess runner.

Discovery tests must see real entry points, so each fixture plugin in
``tests/plugin_fixtures/`` is laid out as an unpacked distribution (the module
plus a hand-written ``.dist-info``) in a temporary directory that subprocesses
get on ``PYTHONPATH``. ``importlib.metadata`` finds it like any installed
distribution.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import aimu_core.plugins
import aimu_core.testing.scripted
from aimu_core.testing import scripted_site, write_distribution

# The scripted provider is test-only (no entry point installs it): register it
# for every in-process test, and give subprocesses its distribution (plugin_site).
aimu_core.plugins.register(aimu_core.testing.scripted)

_FIXTURES = Path(__file__).parent / "plugin_fixtures"

#: (distribution, version, entry-point name, module) of each fixture plugin.
DISTRIBUTIONS = [
    ("aimu-fx-good", "0.1.0", "good", "aimufx_good"),
    ("aimu-fx-broken", "0.1.0", "broken", "aimufx_broken"),
    ("aimu-fx-raising", "0.1.0", "raising", "aimufx_raising"),
    ("aimu-fx-malformed", "0.1.0", "malformed", "aimufx_malformed"),
    ("aimu-fx-future", "0.1.0", "future", "aimufx_future"),
    ("aimu-fx-dup-one", "0.1.0", "dup-one", "aimufx_dup_one"),
    ("aimu-fx-dup-two", "0.1.0", "dup-two", "aimufx_dup_two"),
    ("aimu-fx-marker", "0.1.0", "marker", "aimufx_marker"),
    ("aimu-fx-typo", "0.1.0", "typo", "aimufx_typo"),
    ("aimu-fx-versioned", "2.0", "versioned", "aimufx_versioned"),
    ("aimu-fx-noapi", "0.1.0", "noapi", "aimufx_noapi"),
    ("aimu-fx-badclient", "0.1.0", "badclient", "aimufx_badclient"),
]

#: The curation site's distributions (see ``curation_site``): names chosen to collide.
CURATION_DISTRIBUTIONS = [
    ("evil-dist", "6.6.6", "aimu-openai", "aimufx_evil"),
    ("aimu-fx-a", "0.1.0", "echo", "aimufx_echo_a"),
    ("aimu-fx-b", "0.1.0", "echo", "aimufx_echo_b"),
]


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding every fixture plugin as an unpacked distribution."""
    site = scripted_site(tmp_path_factory.mktemp("plugin-site"))
    for dist, version, entry_point, module in DISTRIBUTIONS:
        shutil.copy(_FIXTURES / f"{module}.py", site / f"{module}.py")
        info = write_distribution(site, dist, version, {entry_point: module})
        # A body after the headers, with a header-like line: only headers count.
        with (info / "METADATA").open("a", encoding="utf-8") as metadata:
            metadata.write(
                "Summary: an aimu test fixture\n\n"
                "The long description follows the headers.\n"
                "Version: 9.9 (body text, not a header)\n"
            )
    return site


@pytest.fixture(scope="session")
def curation_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site whose plugins' names collide, for the allow/deny-list tests.

    ``evil-dist`` declares an entry point named ``aimu-openai``; ``aimu-fx-a`` and
    ``aimu-fx-b`` both declare one named ``echo``. ``aimufx_coded`` is a module
    no distribution declares, for registering in code. Put it on ``PYTHONPATH``
    alone (``run_python(..., env={"PYTHONPATH": str(curation_site)})``).
    """
    site = tmp_path_factory.mktemp("curation-site")
    for dist, version, entry_point, module in CURATION_DISTRIBUTIONS:
        shutil.copy(_FIXTURES / f"{module}.py", site / f"{module}.py")
        write_distribution(site, dist, version, {entry_point: module})
    shutil.copy(_FIXTURES / "aimufx_coded.py", site / "aimufx_coded.py")
    return site


@pytest.fixture(scope="session")
def scripted_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A ``PYTHONPATH`` entry installing only the scripted provider, for subprocesses."""
    return str(scripted_site(tmp_path_factory.mktemp("scripted-site")))


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        assert self.returncode == 0, self.stderr
        return json.loads(self.stdout)


Runner = Callable[..., Result]


@pytest.fixture(scope="session")
def run_python(plugin_site: Path) -> Runner:
    """Run ``python <args>`` in a fresh interpreter with the fixture plugins on its path.

    ``env`` adds variables; every ``AIMU_*`` variable of the test process is
    dropped first so the policy is exactly what the test sets.
    """

    def run(*args: str, env: Mapping[str, str] | None = None, plugins: bool = True) -> Result:
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("AIMU_", "AIMUFX_"))}
        paths = [str(plugin_site)] if plugins else []
        if environ.get("PYTHONPATH"):
            paths.append(environ["PYTHONPATH"])
        environ["PYTHONPATH"] = os.pathsep.join(paths)
        environ.update(env or {})
        done = subprocess.run(
            [sys.executable, *args],
            check=False,
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    return run
