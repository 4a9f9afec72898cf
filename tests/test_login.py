"""The login gate: logged out sees only the login page; wrong passwords are told; roles see their pages."""

import pytest

from cockpit.app.navigation import pages_for
from cockpit.core import config
from cockpit.state import auth


def test_logged_out_visitor_sees_only_the_login_form(app):
    at = app(None)
    assert not at.exception
    assert len(at.text_input) == 2
    assert not at.metric
    assert "authentication_status" not in at.session_state or not at.session_state["authentication_status"]


def test_wrong_password_gets_a_clear_message(app):
    at = app("exec", "not-the-password")
    assert not at.exception
    assert any("Wrong username or password" in e.value for e in at.error)
    assert not at.metric


@pytest.mark.parametrize("username", [u[0] for u in auth.DEMO_USERS])
def test_right_password_shows_the_roles_pages(app, username):
    at = app(username)
    assert not at.exception, at.exception
    assert at.session_state["authentication_status"] is True
    role = auth.get_user(username).role
    assert at.session_state["roles"] == [role]
    expected = [p.url_path for p in pages_for(role)]
    assert at.session_state["_pages"] == expected
    assert len(at.metric) == 5  # the overview's KPI tiles


def test_repeated_failures_make_this_source_wait(app, bank, attacks):
    auth.add_user("victim", "Victim", "manager", ["R01B01T1M2"], "victim-password")
    for _ in range(int(config.get("COCKPIT_LOCKOUT_ATTEMPTS"))):
        app("victim", "wrong-password")
        attacks.append("brute-force login")
    at = app("victim", "victim-password")  # the right password waits too, from this source
    assert at.session_state["authentication_status"] is not True
    assert any("Too many failed attempts from here" in e.value for e in at.error)
    assert not auth.get_user("victim").locked()  # the account itself is not locked
    auth.unlock_user("victim", by="admin")
    assert app("victim", "victim-password").session_state["authentication_status"] is True
    auth.remove_user("victim")
