"""Two real `cockpit run` servers on one PostgreSQL state, in a real browser: a session opened on one is
open on the other and a sign-out on either ends it on both; wrong passwords typed on both servers add up to
one back-off. The browser reaches both on 127.0.0.1, so it sends the one cookie to both (as behind a proxy).
"""

from __future__ import annotations

import re

import pytest

from cockpit.core import config
from tests.browser.conftest import start_server
from tests.browser.test_journeys import sign_in
from tests.browser.test_sessions import LOGIN_BOX, SIGN_OUT, _opens_with, _session_cookie, _signed_in_context

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


@pytest.fixture
def replicas(pg_state, bank):
    started = [start_server(bank, {"COCKPIT_STATE": pg_state}) for _ in range(2)]
    yield [url for _, url in started]
    for proc, _ in started:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_session_opened_on_one_server_is_open_and_ended_on_both(replicas, browser):
    a, b = replicas
    ctx, page = _signed_in_context(browser, a, "head_r01", "head_r01-demo")
    cookie = _session_cookie(ctx)
    assert _opens_with(browser, b, cookie), "the other server knows the session from the shared state"
    page.get_by_role("button", name=SIGN_OUT).click()
    page.get_by_role("textbox", name=LOGIN_BOX).wait_for(timeout=60_000)
    assert not _opens_with(browser, b, cookie)
    ctx.close()


def test_wrong_passwords_on_both_servers_add_up(replicas, browser):
    limit, minutes = int(config.get("COCKPIT_LOCKOUT_ATTEMPTS")), int(config.get("COCKPIT_LOCKOUT_MINUTES"))
    ctx = browser.new_context()
    page = ctx.new_page()
    for n in range(limit):  # alternately on each server
        sign_in(page, replicas[n % 2], "head_r02", "a wrong guess")
        page.get_by_text(re.compile("Wrong username or password|用户名或密码错误")).wait_for(timeout=30_000)
    sign_in(page, replicas[limit % 2], "head_r02", "head_r02-demo")
    waiting = re.compile(f"try again in {minutes} minutes|请 {minutes} 分钟后再试")
    page.get_by_text(waiting).wait_for(timeout=30_000)
    assert page.get_by_role("button", name=SIGN_OUT).count() == 0
    ctx.close()
