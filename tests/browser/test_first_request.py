"""The first request a freshly started server gets must still go through the login.

Until some session has called st.navigation, Streamlit treats the `pages/` folder as old-style pages and
runs a page script on its own for its address, without app.py and its login. Every page sends such a run
back to app.py (cockpit.app.ui.require_entrypoint); here an anonymous visitor asks a brand-new server for a
page directly, and gets the login form, not the page.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from cockpit.app.navigation import PAGES
from cockpit.core import i18n
from tests.browser.conftest import start_server

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("url_path", ["admin_users", "overview"])  # addresses of old-style pages: file names
def test_a_fresh_servers_first_request_for_a_page_gets_the_login_form(bank, browser, attacks, url_path):
    proc, url = start_server(bank)
    try:
        ctx = browser.new_context()
        page = ctx.new_page()
        page.goto(f"{url}/{url_path}")
        page.get_by_role("textbox", name=re.compile("用户名|Username")).wait_for(timeout=60_000)
        attacks.append("first request to a fresh server")
        page.wait_for_timeout(2000)  # give a page that slipped through the time to draw
        title = i18n.t(next(p.title_key for p in PAGES if Path(p.path).stem == url_path), "zh")
        assert title not in page.locator('[data-testid="stMain"]').inner_text()
        assert page.locator('[data-testid="stDataFrame"]').count() == 0
        assert page.locator('[data-testid="stMetric"]').count() == 0
        assert "Traceback" not in page.content()
        ctx.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _first_call(path: Path) -> str:
    """The first `ui.<name>(...)` call a page's module-level statements make, in source order."""
    for stmt in ast.parse(path.read_text()).body:
        if isinstance(stmt, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
            continue
        calls = [
            n
            for n in ast.walk(stmt)
            if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and isinstance(n.func.value, ast.Name)
            and n.func.value.id == "ui"
        ]
        if calls:
            return min(calls, key=lambda n: (n.lineno, n.col_offset)).func.attr
    return ""


def test_every_page_checks_it_came_through_the_entrypoint_before_anything_else():
    for spec in PAGES:
        assert _first_call(ROOT / spec.path) in ("filters", "require_entrypoint"), spec.path


def test_a_fresh_servers_first_visitor_with_a_cookie_is_signed_in_by_the_first_run(bank, attacks):
    """The server reads the session cookie before the first run and serves app.py's navigation from its
    first request on: a returning browser's page load is one script run that draws the page, never the login
    form first and never a run thrown away for a rerun. A cookie signed with another key gets the login form
    in that one run."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from cockpit.core.config import DEMO_COOKIE_KEY
    from cockpit.ops import loadtest

    def view(cookie: dict) -> tuple[float, int, str | None]:
        # in a thread of its own: the browser fixture's event loop may be running in this one
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, loadtest.view(url, cookie, "sicas", 120)).result()

    proc, url = start_server(bank)
    try:
        _, runs, problem = view(loadtest.login_cookie(url, "exec", DEMO_COOKIE_KEY))
        assert (runs, problem) == (1, None)
        attacks.append("cookie signed with another key, first run")
        _, runs, problem = view(
            loadtest.login_cookie(url, "exec", "another-key-of-at-least-thirty-two-bytes")
        )
        assert (runs, problem) == (1, "the login page instead of the cockpit")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
