"""Beidou Cockpit: the Streamlit entrypoint. Login, then the pages the user's role may see."""

from __future__ import annotations

import time

import streamlit as st
import streamlit_authenticator as stauth

from cockpit.app import ui
from cockpit.app.navigation import PAGES, pages_for
from cockpit.core import config
from cockpit.state import appstate, auth

st.set_page_config(page_title="北斗驾驶舱 Beidou Cockpit", page_icon=":material/explore:", layout="wide")


def _secret(name: str) -> str | None:
    try:
        return st.secrets.get(name)
    except Exception:  # no secrets file
        return None


def _authenticator() -> stauth.Authenticate:
    try:
        key = config.cookie_key(_secret("cookie_key"))
    except config.ConfigError as e:
        st.error(ui.tr("error.config", detail=str(e)))
        st.stop()
    creds = auth.credentials()
    st.session_state["_creds_before"] = {u: v["failed_login_attempts"] for u, v in creds["usernames"].items()}
    extra = {"login_sleep_time": 0} if _secret("test_mode") else {}
    return stauth.Authenticate(creds, config.COOKIE_NAME, key, 1, auto_hash=False, **extra)


def _login_page() -> None:
    st.title(ui.tr("app.title"))
    st.caption(ui.tr("app.tagline"))
    ui.language_switch()
    if config.is_demo():
        st.info(ui.tr("demo.login_hint"))
    fields = {
        "Form name": ui.tr("login.form"),
        "Username": ui.tr("login.username"),
        "Password": ui.tr("login.password"),
        "Login": ui.tr("login.button"),
    }
    from_cookie = bool(AUTH.cookie_controller.get_cookie())  # a returning browser: nothing new to store
    try:
        AUTH.login(
            location="main",
            key="login_form",
            fields=fields,
            max_login_attempts=int(config.get("COCKPIT_LOCKOUT_ATTEMPTS")),
        )
    except stauth.LoginError as e:
        st.error(
            ui.tr("login.locked", minutes=config.get("COCKPIT_LOCKOUT_MINUTES"))
            if "attempts" in str(e)
            else str(e)
        )
    model = AUTH.authentication_controller.authentication_model
    after = {u: v.get("failed_login_attempts", 0) for u, v in model.credentials["usernames"].items()}
    changed = {u: n for u, n in after.items() if n > st.session_state["_creds_before"].get(u, 0)}
    if changed:
        auth.record_failures(changed)
    if st.session_state.get("authentication_status") is False:
        st.error(ui.tr("login.failed"))
    elif st.session_state.get("authentication_status"):
        auth.reset_failures(st.session_state["username"])
        appstate.audit(st.session_state["username"], "login")
        if not from_cookie:
            time.sleep(0.6)  # let the browser store the sign-in cookie before the page is replaced
        st.rerun()


AUTH = _authenticator()

if not st.session_state.get("authentication_status"):
    # Every page's address leads to the login form while signed out (a deep link shows it, not "page not
    # found").
    login_pages = [
        st.Page(
            _login_page, title=ui.tr("login.form"), url_path="login", icon=":material/login:", default=True
        )
    ]
    login_pages += [st.Page(_login_page, title=ui.tr("login.form"), url_path=p.url_path) for p in PAGES]
    st.navigation(login_pages, position="hidden").run()
    st.stop()

user = ui.current_user()
specs = pages_for(user.role)
st.session_state["_pages"] = [p.url_path for p in specs]
nav = st.navigation(
    [st.Page(p.path, title=ui.tr(p.title_key), icon=p.icon, url_path=p.url_path) for p in specs]
)
with st.sidebar:
    st.markdown(f"**{ui.tr('app.title')}**  \n{user.name} · {ui.tr('role.' + user.role)}")
    AUTH.logout(ui.tr("logout"), location="sidebar", key="logout_button")
if not st.session_state.get("authentication_status"):  # just signed out: show the login page at once
    st.rerun()
st.session_state["_filters"] = ui.sidebar_filters()
nav.run()
