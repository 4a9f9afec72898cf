"""The sign-in glue: the login form, the session cookie, and the check of the session on every run.

The cookie holds a signed token naming a server-side session (cockpit/state/sessions.py). Every run of
the app looks that session up again, so a sign-out, a password change, a lock or a removal ends it at
once, in this browser and in any other holding a copy of the cookie. A token that is forged, expired or
signed another way is no session: the visitor sees the login form.
"""

from __future__ import annotations

import datetime as dt
import time

import streamlit as st

from cockpit.app import ui
from cockpit.core import config
from cockpit.state import auth, sessions

TOKEN = "_session_token"  # this browser tab's session token, kept in the (server-side) session state
AUTH_KEYS = ("authentication_status", "username", "name", "roles")


def _secret(name: str) -> str | None:
    try:
        return st.secrets.get(name)
    except Exception:  # no secrets file
        return None


def cookie_key() -> str:
    """The key that signs session tokens, or a clear message and a stop."""
    try:
        return config.cookie_key(_secret("cookie_key"))
    except config.ConfigError as e:
        st.error(ui.tr("error.config", detail=str(e)))
        st.stop()


def _source() -> str:
    """Where the sign-in comes from (the client's address), for the per-source back-off."""
    try:
        return auth.source_of(st.context.ip_address, st.context.headers.get("X-Real-Ip"))
    except Exception:
        return "local"


def _forget(ended: bool) -> None:
    had = bool(st.session_state.get(TOKEN))
    for k in (TOKEN, *AUTH_KEYS):
        st.session_state.pop(k, None)
    if ended and had:
        st.session_state["_session_ended"] = True


def _cookies():
    import extra_streamlit_components as stx

    return stx.CookieManager(key="session_cookie")


def current_username(key: str) -> str | None:
    """The signed-in username of this run, checked against the server-side session; None when signed out."""
    token = st.session_state.get(TOKEN)
    if token is None and not st.session_state.get("_signed_out"):
        token = st.context.cookies.get(config.COOKIE_NAME)  # a returning browser
    username = sessions.user_of(token, key) if token else None
    user = None
    if username is not None:
        try:
            user = auth.get_user(username)
        except auth.UserError:
            user = None
    if user is None or user.locked():
        _forget(ended=True)
        return None
    st.session_state.update(
        {TOKEN: token, "authentication_status": True, "username": user.username, "name": user.name}
    )
    st.session_state["roles"] = [user.role]
    return user.username


def session_alive() -> bool:
    """Whether this tab's session is still open on the server, for the user this tab believes is signed in."""
    username = sessions.user_of(st.session_state.get(TOKEN), cookie_key())
    return username is not None and username == st.session_state.get("username")


def login_page(key: str) -> None:
    """The login form; a good sign-in starts a session, stores its cookie and reloads the app."""
    st.title(ui.tr("app.title"))
    st.caption(ui.tr("app.tagline"))
    ui.language_switch()
    if config.is_demo():
        st.info(ui.tr("demo.login_hint"))
    if st.session_state.pop("_session_ended", False):
        st.warning(ui.tr("login.ended"))
    if st.session_state.pop("_drop_cookie", False):
        try:
            _cookies().delete(config.COOKIE_NAME)  # sends the deletion, then forgets a cookie it never read
        except KeyError:
            pass
    with st.form("login_form"):
        st.subheader(ui.tr("login.form"))
        username = st.text_input(ui.tr("login.username"), max_chars=40)
        password = st.text_input(ui.tr("login.password"), type="password", max_chars=200)
        submitted = st.form_submit_button(ui.tr("login.button"))
    if not submitted:
        return
    try:
        user = auth.sign_in(username, password, _source())
    except auth.SignInRefused as e:
        st.session_state["authentication_status"] = False
        st.error(ui.tr("login.wait", minutes=e.minutes) if e.kind == "wait" else ui.tr("login.failed"))
        return
    token = sessions.start(user.username, key)
    _cookies().set(config.COOKIE_NAME, token, expires_at=dt.datetime.now() + dt.timedelta(days=sessions.DAYS))
    st.session_state[TOKEN] = token
    st.session_state.pop("_signed_out", None)
    current_username(key)
    if not _secret("test_mode"):
        time.sleep(0.6)  # let the browser store the session cookie before the page is replaced
    st.rerun()


def _sign_out(key: str) -> None:
    sessions.end(st.session_state.get(TOKEN), key)
    _forget(ended=False)
    st.session_state["_signed_out"] = True  # the browser's cookie, read at connect time, is not read again
    st.session_state["_drop_cookie"] = True


def logout_button(key: str) -> None:
    """Sign out: the session ends on the server (a copied cookie stops working too) before the next run, and
    the login form that run shows removes the cookie from the browser."""
    st.button(ui.tr("logout"), key="logout_button", on_click=_sign_out, args=(key,))


def require_role(*roles: str) -> None:
    """Stop a page for anyone whose role is not among `roles` (re-read from the user store), with a
    message: a page checks this itself rather than trusting the navigation that led to it."""
    if ui.current_user().role not in roles:
        st.error(ui.tr("error.not_allowed"))
        st.stop()
