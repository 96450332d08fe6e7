"""Every page with an example is run by some tox env (the root conftest.py runs them).

A page is named in the pytest command of the env whose plugins it needs: the
light ones in `docs`, an aimu-hf page in `aimu-hf` ... A new page that no env
names would never run in CI; this test fails instead.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```(python|bash)\s*$", re.MULTILINE)


def _pages_with_examples() -> set[Path]:
    pages = [ROOT / "README.md", *ROOT.glob("docs/**/*.md"), *ROOT.glob("plugins/*/README.md")]
    return {page for page in pages if FENCE.search(page.read_text(encoding="utf-8"))}


def _named_by_tox() -> set[Path]:
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini", encoding="utf-8")
    named: set[Path] = set()
    for section in tox.sections():
        for line in tox[section].get("commands", "").splitlines():
            words = line.split()
            if not words or words[0] != "pytest":
                continue
            for word in words[1:]:
                path = ROOT / word
                if word.endswith(".md") and path.is_file():
                    named.add(path)
                elif word.startswith("docs") and path.is_dir():  # a folder of pages
                    named.update(path.glob("**/*.md"))
    return named


def test_every_page_with_an_example_runs_in_some_tox_env() -> None:
    missing = sorted(str(p.relative_to(ROOT)) for p in _pages_with_examples() - _named_by_tox())
    assert not missing, f"name these pages in the pytest command of a tox env: {missing}"


def test_the_check_sees_the_pages() -> None:
    # The two helpers above must find something, or the test above proves nothing.
    pages = _pages_with_examples()
    assert ROOT / "README.md" in pages and ROOT / "docs/tutorials/quickstart.md" in pages
    assert ROOT / "docs/tutorials/quickstart.md" in _named_by_tox()
