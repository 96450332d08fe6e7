"""The built documentation site, opened in a real headless browser.

Run by `tox -e docs` after `mkdocs build --strict` wrote site/: the site is
served on loopback and Debian's Chromium (``/usr/bin/chromium``, or
``AIMU_CHROMIUM``) is driven by Playwright. Playwright's own browser download
cannot reach the internet here, hence ``executable_path``.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

SITE = Path(__file__).resolve().parents[2] / "site"
CHROMIUM = os.environ.get("AIMU_CHROMIUM", "/usr/bin/chromium")
# Flags for a closed network: no background connections, no sandbox as root in CI.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def site_url() -> Iterator[str]:
    assert (SITE / "index.html").is_file(), "build the site first: mkdocs build --strict"
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    page = browser.new_page(viewport={"width": 1400, "height": 900})  # the desktop layout
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    page.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def test_the_home_page_renders_with_its_navigation(page: Page, site_url: str) -> None:
    page.goto(f"{site_url}/")
    expect(page).to_have_title("aimu-core")
    expect(page.locator("article h1")).to_contain_text("aimu-core")
    expect(page.locator("article")).to_contain_text("rebuilds AIMU")
    sidebar = page.locator(".md-sidebar--primary")
    expect(sidebar.get_by_role("link", name="Quickstart")).to_be_visible()
    sidebar.get_by_role("link", name="Quickstart").click()
    expect(page).to_have_url(f"{site_url}/tutorials/quickstart/")
    expect(page.locator("article h1")).to_contain_text("Quickstart")


def test_search_finds_a_page(page: Page, site_url: str) -> None:
    page.goto(f"{site_url}/")
    page.keyboard.press("/")  # Material's shortcut that focuses the search box
    search = page.locator("input.md-search__input")
    expect(search).to_be_focused()
    search.press_sequentially("conformance", delay=20)
    results = page.locator(".md-search-result__item")
    expect(results.first).to_be_visible(timeout=15_000)
    expect(page.locator(".md-search-result")).to_contain_text("conformance kit")


def test_an_api_page_renders_the_docstrings(page: Page, site_url: str) -> None:
    page.goto(f"{site_url}/reference/api/hookspecs/")
    article = page.locator("article")
    expect(article.locator("h1")).to_contain_text("aimu_core.hookspecs")
    # mkdocstrings rendered each hook spec with its docstring
    expect(article.locator('[id="aimu_core.hookspecs.aimu_text_providers"]')).to_be_visible()
    expect(article).to_contain_text("Return the text-model providers this plugin contributes")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass
