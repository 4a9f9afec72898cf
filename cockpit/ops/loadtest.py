"""A bounded load test: N simultaneous browser sessions against one cockpit server on 127.0.0.1.

Each session is a real headless Chromium tab (Debian's chromium, driven by Playwright) signed in by the
login cookie of a demo user, opening the pages of its role one after another. A page's time runs from the
navigation until Streamlit has finished the script and the page shows its title: what a user waits for.
The server's resident memory is sampled throughout. Used by `cockpit bench --sessions N`.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying to reach Google's hosts on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
# Streamlit marks the app element with its script state; the status widget shows "Running" while a rerun is
# under way.
IDLE_SELECTOR = '[data-testid="stApp"][data-test-script-state="notRunning"]'
NOT_RUNNING_JS = (
    "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
    " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.match(/Running|Stop/)"
)
USERS = ("exec", "head_r01", "head_r02", "manager1")
PAGES = ("overview", "targets", "scorecard", "sicas", "channels")


def login_cookie(url: str, username: str, key: str, days: float = 1) -> dict:
    """The sign-in cookie the app sets after a login: a session opened for `username` in this data folder's
    app state (the server's, $COCKPIT_HOME), its token signed with `key` (a browser context can carry it)."""
    from cockpit.core.config import COOKIE_NAME
    from cockpit.state import sessions

    return {"name": COOKIE_NAME, "value": sessions.start(username, key, days), "url": url}


@dataclass
class LoadResult:
    sessions: int
    times_ms: dict[str, list[float]] = field(default_factory=dict)  # page -> every load's time
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    server_rss_before_mb: float = 0.0
    server_rss_peak_mb: float = 0.0

    @property
    def loads(self) -> int:
        return sum(len(v) for v in self.times_ms.values())

    def percentile(self, q: float, page: str | None = None) -> float:
        """The q-th percentile (0..100) of page times, nearest rank; NaN when nothing loaded."""
        xs = sorted(self.times_ms.get(page, []) if page else [t for v in self.times_ms.values() for t in v])
        if not xs:
            return float("nan")
        return xs[min(len(xs) - 1, max(0, math.ceil(q / 100 * len(xs)) - 1))]


async def _session(
    browser, url: str, username: str, key: str, pages: tuple[str, ...], result: LoadResult, timeout_ms: int
) -> None:
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        await ctx.add_cookies([login_cookie(url, username, key)])
        page = await ctx.new_page()
        for name in pages:
            t0 = time.perf_counter()
            try:
                await page.goto(f"{url}/{name}", timeout=timeout_ms)
                main = page.locator('[data-testid="stMain"] [data-testid="stHeading"]').first
                await main.wait_for(timeout=timeout_ms)
                await page.wait_for_selector(IDLE_SELECTOR, timeout=timeout_ms)
                await page.wait_for_function(NOT_RUNNING_JS, timeout=timeout_ms)
                elapsed = (time.perf_counter() - t0) * 1000
                if await page.locator('[data-testid="stException"]').count():
                    result.errors.append(f"{username} {name}: an exception on the page")
                elif (
                    await page.get_by_role("textbox", name="Username").count()
                    or await page.get_by_role("textbox", name="用户名").count()
                ):
                    result.errors.append(f"{username} {name}: the login page instead of the cockpit")
                else:
                    result.times_ms.setdefault(name, []).append(elapsed)
            except Exception as e:  # a timeout or a crash is an error of the run, not of the load test
                result.errors.append(f"{username} {name}: {type(e).__name__}: {str(e).splitlines()[0][:120]}")
    finally:
        await ctx.close()


def _sample_memory(pid: int, stop: threading.Event, result: LoadResult) -> None:
    from cockpit.app.server import rss_mb

    while not stop.is_set():
        result.server_rss_peak_mb = max(result.server_rss_peak_mb, rss_mb(pid))
        stop.wait(0.25)


async def _run(
    url: str, pid: int, sessions: int, key: str, pages: tuple[str, ...], timeout_ms: int
) -> LoadResult:
    from playwright.async_api import async_playwright

    from cockpit.app.server import rss_mb

    result = LoadResult(sessions)
    result.server_rss_before_mb = result.server_rss_peak_mb = rss_mb(pid)
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_memory, args=(pid, stop, result), daemon=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            sampler.start()
            t0 = time.perf_counter()
            await asyncio.gather(
                *(
                    _session(browser, url, USERS[i % len(USERS)], key, pages, result, timeout_ms)
                    for i in range(sessions)
                )
            )
            result.seconds = time.perf_counter() - t0
        finally:
            stop.set()
            sampler.join()
            await browser.close()
    return result


def missing() -> str | None:
    """Why a load test cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    return None


def run(
    url: str, server_pid: int, sessions: int, pages: tuple[str, ...] = PAGES, timeout_ms: int = 180_000
) -> LoadResult:
    """Open `pages` in `sessions` simultaneous signed-in browser tabs against the server at `url`."""
    from cockpit.core.config import DEMO_COOKIE_KEY

    return asyncio.run(_run(url, server_pid, sessions, DEMO_COOKIE_KEY, pages, timeout_ms))


def summary(result: LoadResult) -> list[list[str]]:
    """Table rows: per page and overall, loads, p50 and p95 in ms."""
    rows = []
    for name in [*result.times_ms, None]:
        xs = result.times_ms.get(name, []) if name else [t for v in result.times_ms.values() for t in v]
        rows.append(
            [
                name or "all pages",
                str(len(xs)),
                f"{result.percentile(50, name):,.0f}",
                f"{result.percentile(95, name):,.0f}",
                f"{statistics.fmean(xs):,.0f}" if xs else "-",
            ]
        )
    return rows
