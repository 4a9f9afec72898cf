"""Door 6 in a real browser: a copied session cookie after a password change or a sign-out, and tokens
forged with `alg=none` or another algorithm, get the login form; a live cookie opens the cockpit."""

from __future__ import annotations

import base64
import json
import re
import time

import jwt
import pytest

from cockpit.core.config import COOKIE_NAME, DEMO_COOKIE_KEY
from cockpit.state import auth
from tests.browser.test_journeys import sign_in, wait_idle

pytestmark = pytest.mark.browser

SIGN_OUT = re.compile("^(退出登录|Sign out)$")
LOGIN_BOX = re.compile("用户名|Username")


@pytest.fixture
def user(bank):
    auth.add_user("browser_victim", "Victim", "manager", ["R01B01T1M2"], "browser-victim-1", by="test")
    yield "browser_victim"
    try:
        auth.remove_user("browser_victim", by="test")
    except auth.UserError:
        pass


def _session_cookie(ctx) -> dict:
    return next(c for c in ctx.cookies() if c["name"] == COOKIE_NAME)


def _opens_with(browser, server: str, cookie: dict) -> bool:
    """Whether a fresh browser carrying only `cookie` is signed in (True) or shown the login form (False)."""
    ctx = browser.new_context()
    ctx.add_cookies([{k: cookie[k] for k in ("name", "value", "domain", "path")}])
    page = ctx.new_page()
    page.goto(server + "/overview")
    sign_out = page.get_by_role("button", name=SIGN_OUT)
    login = page.get_by_role("textbox", name=LOGIN_BOX)
    sign_out.or_(login).first.wait_for(timeout=90_000)
    wait_idle(page)
    signed_in = sign_out.count() > 0
    if not signed_in:
        text = page.locator("body").inner_text()
        assert login.count() == 1
        assert not any(w in text for w in ("Traceback", "InvalidAlgorithmError", "DecodeError", ".py"))
    ctx.close()
    return signed_in


def _signed_in_context(browser, server: str, username: str, password: str):
    ctx = browser.new_context()
    page = ctx.new_page()
    sign_in(page, server, username, password)
    page.get_by_role("button", name=SIGN_OUT).wait_for(timeout=60_000)
    time.sleep(1)  # the cookie component has stored the cookie
    return ctx, page


def test_a_password_change_ends_the_session_in_every_browser(server, browser, user, attacks):
    ctx, page = _signed_in_context(browser, server, user, "browser-victim-1")
    cookie = _session_cookie(ctx)
    assert _opens_with(browser, server, cookie), "the control: the live cookie opens the cockpit elsewhere"
    auth.set_password(user, "browser-victim-2", by="admin")
    attacks.extend(["browser cookie after password change", "browser open session after password change"])
    assert not _opens_with(browser, server, cookie)
    page.reload()
    page.get_by_role("textbox", name=LOGIN_BOX).wait_for(timeout=60_000)
    ctx.close()


def test_a_copied_cookie_dies_with_the_sign_out(server, browser, user, attacks):
    ctx, page = _signed_in_context(browser, server, user, "browser-victim-1")
    cookie = _session_cookie(ctx)
    page.get_by_role("button", name=SIGN_OUT).click()
    page.get_by_role("textbox", name=LOGIN_BOX).wait_for(timeout=60_000)
    attacks.append("browser cookie after sign-out")
    assert not _opens_with(browser, server, cookie)
    ctx.close()


def _b64(d: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("alg", ["none", "HS512"])
def test_a_token_with_another_algorithm_gets_the_login_form(server, browser, user, attacks, alg):
    ctx, _ = _signed_in_context(browser, server, user, "browser-victim-1")
    cookie = _session_cookie(ctx)
    ctx.close()
    claims = jwt.decode(cookie["value"], DEMO_COOKIE_KEY, algorithms=["HS256"])
    forged = (
        f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
        if alg == "none"
        else jwt.encode(claims, DEMO_COOKIE_KEY, algorithm="HS512")
    )
    attacks.append(f"browser token alg={alg}")
    assert not _opens_with(browser, server, {**cookie, "value": forged})
