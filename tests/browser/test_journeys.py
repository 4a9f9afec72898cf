"""Every role, in a real browser: sign in, visit every page, change filters, switch language, sign out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cockpit.app.navigation import pages_for
from cockpit.core import i18n
from cockpit.ops.loadtest import login_cookie
from cockpit.state import auth
from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def wait_idle(page, timeout: int = 60_000) -> None:
    """Wait until Streamlit has finished running the script (no running indicator, an app view present)."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.match(/Running|Stop/)",
        timeout=timeout,
    )
    page.wait_for_timeout(300)


def heading(page, text: str):
    return page.locator('[data-testid="stMain"] [data-testid="stHeading"]').filter(has_text=text)


def assert_no_exception(page, where: str) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, f"exception on {where}"
    assert "Traceback" not in page.content(), f"traceback on {where}"


def sign_in(page, url: str, username: str, password: str | None = None) -> None:
    page.goto(url)
    wait_idle(page)  # the app's connection is up before the form is used
    page.get_by_role("textbox", name=re.compile("用户名|Username")).fill(username)
    page.get_by_role("textbox", name=re.compile("密码|Password")).fill(password or f"{username}-demo")
    page.get_by_role("button", name=re.compile("^(登录|Sign in)$")).click()
    wait_idle(page)


def drill_down(page, username: str) -> None:
    """Click the first 'drill into' button of the targets page: the breadcrumb grows a level, no exception."""
    crumbs = page.locator('[class*="st-key-tg_crumb_"]')
    before = crumbs.count()
    buttons = page.locator('[class*="st-key-tg_drill_"] button')
    if buttons.count() == 0:  # a leaf node (an account manager) has nothing below it
        return
    buttons.first.click()
    page.wait_for_function(
        "n => document.querySelectorAll('[class*=\"st-key-tg_crumb_\"]').length > n",
        arg=before,
        timeout=90_000,
    )
    wait_idle(page)
    assert_no_exception(page, f"{username} drill-down")
    shot(page, f"{username}-targets-drilled")


def download_report(page, username: str) -> None:
    """Download the Excel and PDF reports of the chosen node: real files, the PDF with its Chinese title."""
    for key, magic in (("report.download_xlsx", b"PK"), ("report.download_pdf", b"%PDF")):
        with page.expect_download(timeout=180_000) as dl:
            page.get_by_role("button", name=i18n.t(key, "zh")).click()
        data = Path(dl.value.path()).read_bytes()
        assert data.startswith(magic) and len(data) > 2000, f"{username}: {key} is not a real file"


@pytest.mark.parametrize("username", [u[0] for u in auth.DEMO_USERS])
def test_role_journey(server, page, username):
    outside: list[str] = []  # a bank's closed network: the page may fetch nothing but the cockpit itself
    page.on(
        "request", lambda r: None if r.url.startswith((server, "data:", "blob:")) else outside.append(r.url)
    )
    sign_in(page, server, username)
    try:
        page.get_by_role("button", name="退出登录").wait_for(timeout=120_000)
    except Exception:
        shot(page, f"{username}-sign-in-timeout")
        raise
    wait_idle(page)
    assert_no_exception(page, f"{username} landing")
    role = auth.get_user(username).role
    specs = pages_for(role)
    for spec in specs:
        title = i18n.t(spec.title_key, "zh")
        if len(specs) > 1:  # Streamlit shows no menu for a single page
            page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
            wait_idle(page)
        heading(page, title).first.wait_for(timeout=90_000)  # raises if the page never shows its title
        wait_idle(page)
        if spec.url_path == "targets":
            drill_down(page, username)
        if spec.url_path == "reports":
            download_report(page, username)
        assert_no_exception(page, f"{username} {spec.url_path}")
        shot(page, f"{username}-{spec.url_path}-zh")
    # change a filter: the quarter view
    page.locator('[data-testid="stSidebar"]').get_by_text("季", exact=True).click()
    wait_idle(page)
    assert_no_exception(page, f"{username} quarter")
    # switch language
    page.locator('[data-testid="stSidebar"]').get_by_text("English", exact=True).click()
    wait_idle(page)
    last = specs[-1]
    heading(page, i18n.t(last.title_key, "en")).first.wait_for(timeout=90_000)
    shot(page, f"{username}-english")
    assert_no_exception(page, f"{username} english")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("textbox", name=re.compile("用户名|Username")).wait_for(timeout=60_000)
    page.get_by_role("button", name="Sign out").wait_for(state="detached", timeout=60_000)
    assert outside == [], f"{username}: requests left the server: {sorted(set(outside))[:5]}"


def test_every_page_opens_by_its_own_address_the_first_one_too(server, page):
    """The overview is served at the root and at /overview: a bookmark of either opens it, never Streamlit's
    "page not found"."""
    sign_in(page, server, "exec")
    page.get_by_role("button", name="退出登录").wait_for(timeout=120_000)
    for spec in pages_for("executive")[:2]:  # the root's page, and one served only at its address
        page.goto(f"{server}/{spec.url_path}")  # a fresh load: signed in again by the cookie
        wait_idle(page)
        heading(page, i18n.t(spec.title_key, "zh")).first.wait_for(timeout=90_000)
        wait_idle(page)
        text = page.locator("body").inner_text()
        assert "not found" not in text.lower() and "找不到" not in text, (spec.url_path, text[:300])
        assert page.url.rstrip("/").endswith(f"/{spec.url_path}"), page.url
        assert_no_exception(page, f"/{spec.url_path}")


def test_wrong_password_in_the_browser(server, page):
    sign_in(page, server, "exec", "wrong-password-123")
    page.get_by_text(re.compile("用户名或密码错误|Wrong username or password")).wait_for(timeout=30_000)
    assert page.locator('[data-testid="stMetric"]').count() == 0


def test_branch_head_url_to_another_branch_is_refused(server, page, attacks):
    sign_in(page, server, "head_r02")
    page.get_by_role("button", name="退出登录").wait_for(timeout=60_000)
    for org in ("R01", "HO", "R01B02T1M1", "R02%27%20OR%20%271%27%3D%271"):
        page.goto(f"{server}/overview?org={org}")  # a fresh load: signed in again by the cookie
        page.get_by_text("不在您的权限范围内").wait_for(timeout=60_000)
        attacks.append("browser url query param")
        page.get_by_role("button", name="退出登录").wait_for(timeout=60_000)
        assert "(R01" not in page.locator('[data-testid="stSidebar"]').inner_text()
        assert "上海分行" in page.locator('[data-testid="stMain"]').inner_text()


@pytest.mark.parametrize("case", ["forged", "expired"])
def test_forged_or_expired_cookie_gets_the_login_page(server, browser, attacks, case):
    from cockpit.core.config import DEMO_COOKIE_KEY

    ctx = browser.new_context()
    key = "an-attackers-guess-at-the-key-0123456789" if case == "forged" else DEMO_COOKIE_KEY
    ctx.add_cookies([login_cookie(server, "exec", key, 1 if case == "forged" else -1)])
    page = ctx.new_page()
    page.goto(server + "/overview")
    page.get_by_role("textbox", name=re.compile("用户名|Username")).wait_for(timeout=60_000)
    attacks.append(f"{case} cookie")
    assert page.locator('[data-testid="stMetric"]').count() == 0
    ctx.close()


def test_valid_cookie_signs_in_again(server, browser):
    """The control for the test above: the same cookie signed with the right key opens the cockpit."""
    from cockpit.core.config import DEMO_COOKIE_KEY

    ctx = browser.new_context()
    ctx.add_cookies([login_cookie(server, "exec", DEMO_COOKIE_KEY, 1)])
    page = ctx.new_page()
    page.goto(server + "/overview")
    page.get_by_role("button", name="退出登录").wait_for(timeout=60_000)
    ctx.close()
