"""Every page timed in a real browser (headless Chromium through Playwright), as a signed-in user sees it:
from the request until the script has finished, no placeholder is left and every chart is drawn.

Two ways of reaching a page, both warm (the page seen once before in the same browser, its scripts cached):
a fresh load of its URL (a new Streamlit session, signed in by the cookie) and a click in the sidebar's menu
(the same session, as a user moves between pages). The server-side times of `cockpit bench` leave out what
the browser adds: the page shell, the websocket, drawing the charts and tables.
"""

from __future__ import annotations

import statistics
import time
from functools import partial
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlparse

from cockpit.ops.loadtest import CHROMIUM, CHROMIUM_ARGS, login_cookie

GOAL_MS = 1000  # every page fully drawn within a second, warm
HEADERS = ["page", "charts", "fresh load ms", "sidebar click ms", "within 1.0 s"]

# The page is drawn: the script has finished, no element is still a placeholder, every chart has its plot.
DRAWN = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]')) return false;
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  return charts.every(c => c.querySelector('.main-svg'));
}"""


def unavailable() -> str | None:
    """Why the browser cannot be timed on this machine, or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[test]')"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (Debian's chromium package)"
    return None


def _at(url: str, url_path: str, specs: list) -> bool:
    """Whether the browser shows the page at `url_path` (the first page of the menu is also at '/')."""
    path = urlparse(url).path.rstrip("/")
    return path.endswith(f"/{url_path}") or (path == "" and url_path == specs[0].url_path)


def _drawn(page: Any, timeout_ms: int) -> None:
    page.wait_for_timeout(100)  # the request leaves before the previous view's state can be read
    page.wait_for_function(DRAWN, timeout=timeout_ms, polling=50)


def time_pages(
    url: str, username: str, role: str, key: str, loads: int = 3, timeout_ms: int = 120_000
) -> list[list]:
    """One row per page of `role`: charts drawn, the median of `loads` warm fresh loads and sidebar clicks
    (ms), and whether both are within GOAL_MS."""
    from playwright.sync_api import sync_playwright

    from cockpit.app.navigation import pages_for
    from cockpit.core import i18n

    specs = pages_for(role)
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
            ctx.add_cookies([cast(Any, login_cookie(url, username, key))])
            page = ctx.new_page()
            menu = page.locator('[data-testid="stSidebarNav"]')
            for spec in specs:
                loaded, clicked = [], []
                for _ in range(loads + 1):  # the first of each is the page's first visit: not counted
                    t0 = time.perf_counter()
                    page.goto(f"{url}/{spec.url_path}")
                    _drawn(page, timeout_ms)
                    loaded.append((time.perf_counter() - t0) * 1000)
                other = next(s for s in specs if s.url_path != spec.url_path)
                for _ in range(loads + 1):
                    menu.get_by_role("link", name=i18n.t(other.title_key, "zh")).click()
                    _drawn(page, timeout_ms)
                    t0 = time.perf_counter()
                    menu.get_by_role("link", name=i18n.t(spec.title_key, "zh")).click()
                    page.wait_for_url(partial(_at, url_path=spec.url_path, specs=specs), timeout=timeout_ms)
                    _drawn(page, timeout_ms)
                    clicked.append((time.perf_counter() - t0) * 1000)
                fresh, click = statistics.median(loaded[1:]), statistics.median(clicked[1:])
                charts = page.locator('[data-testid="stPlotlyChart"]').count()
                within = "yes" if max(fresh, click) <= GOAL_MS else "no"
                rows.append([spec.url_path, charts, f"{fresh:,.0f}", f"{click:,.0f}", within])
        finally:
            browser.close()
    return rows
