"""Discovery's entry-point cache: used when the environment is unchanged, never when it changed.

Each check runs fresh interpreters on a private cache folder and a private
site folder, as installs and uninstalls happen between two runs of a program.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from aimu_core.testing import write_distribution

PROBE = (
    "import json, sys, aimu_core.plugins\n"
    "m = aimu_core.plugins.get_manager()\n"
    "print(json.dumps([sorted(p.name for p in m.plugins), 'importlib_metadata' in sys.modules]))\n"
)


def run(site: Path, cache: Path, **env: str) -> tuple[list[str], bool]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AIMU_")}
    environ.update(PYTHONPATH=str(site), AIMU_CACHE_DIR=str(cache), **env)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=environ, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    names, scanned = json.loads(done.stdout)
    return names, scanned


def install(site: Path, name: str) -> None:
    (site / f"{name}.py").write_text("AIMU_PLUGIN_API = 1\n", encoding="utf-8")
    write_distribution(site, f"aimu-{name}", "1.0", {name: name})


def test_an_unchanged_environment_reads_the_cache_and_skips_the_scan(tmp_path: Path) -> None:
    site, cache = tmp_path / "site", tmp_path / "cache"
    site.mkdir()
    install(site, "alpha")
    first, scanned_first = run(site, cache)
    second, scanned_second = run(site, cache)
    assert "alpha" in first and first == second
    assert scanned_first and not scanned_second
    assert len(list(cache.glob("entry-points-*.txt"))) == 1


def test_installs_and_uninstalls_are_seen_at_once(tmp_path: Path) -> None:
    site, cache = tmp_path / "site", tmp_path / "cache"
    site.mkdir()
    install(site, "alpha")
    assert "beta" not in run(site, cache)[0]
    install(site, "beta")
    assert {"alpha", "beta"} <= set(run(site, cache)[0])
    shutil.rmtree(site / "aimu_alpha-1.0.dist-info")
    names = run(site, cache)[0]
    assert "beta" in names and "alpha" not in names


def test_a_damaged_cache_is_not_used(tmp_path: Path) -> None:
    site, cache = tmp_path / "site", tmp_path / "cache"
    site.mkdir()
    install(site, "alpha")
    run(site, cache)
    (cached,) = cache.glob("entry-points-*.txt")
    whole = cached.read_text(encoding="utf-8")
    # A writer killed half-way (no final "end" line), then garbage.
    for damaged in (whole[: len(whole) // 2], "not a cache\x00\n"):
        cached.write_text(damaged, encoding="utf-8")
        names, scanned = run(site, cache)
        assert "alpha" in names and scanned
    assert cached.read_text(encoding="utf-8") == whole  # rewritten whole


def test_the_cache_can_be_turned_off(tmp_path: Path) -> None:
    site, cache = tmp_path / "site", tmp_path / "cache"
    site.mkdir()
    install(site, "alpha")
    for _ in range(2):
        names, scanned = run(site, cache, AIMU_DISCOVERY_CACHE="0")
        assert "alpha" in names and scanned
    assert not cache.exists()


def test_an_unwritable_cache_folder_only_costs_the_scan(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    install(site, "alpha")
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    names, scanned = run(site, blocker / "cache")  # a folder cannot be made under a file
    assert "alpha" in names and scanned
