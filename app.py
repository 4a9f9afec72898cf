"""Beidou Cockpit: the Streamlit entrypoint. Login, then the pages the user's role may see."""

from __future__ import annotations

import streamlit as st

from cockpit.app import assets, chrome, signin, ui
from cockpit.app.navigation import PAGES, pages_for
from cockpit.core import config

config.private_files()  # what the process writes (state, reports, logs): readable by its owner only
st.set_page_config(page_title="北斗驾驶舱 Beidou Cockpit", page_icon=str(assets.FAVICON), layout="wide")
KEY = signin.cookie_key()
chrome.localise(ui.lang())  # Streamlit's own English words, restyled for a Chinese reader


def _login_page() -> None:
    signin.login_page(KEY)


signin.current_username(KEY)  # the server-side session, checked again on every run

if not st.session_state.get("authentication_status"):
    # Every page's address leads to the login form while signed out (a deep link shows it, not
    # "page not found").
    login_pages = [
        st.Page(
            _login_page,
            title=ui.tr("login.form"),
            url_path="login",
            icon=":material/login:",
            default=True,
        )
    ]
    title = ui.tr("login.form")
    login_pages += [st.Page(_login_page, title=title, url_path=p.url_path) for p in PAGES]
    st.navigation(login_pages, position="hidden").run()
    st.stop()

user = ui.current_user(fresh=True)  # read once a run; the page reuses it
specs = pages_for(user.role)
st.session_state["_pages"] = [p.url_path for p in specs]
menu = [st.Page(p.path, title=ui.tr(p.title_key), icon=p.icon, url_path=p.url_path) for p in specs]
# The first page is served at the root; Streamlit gives a default page no address of its own, so
# the same script is registered again, out of the menu, at its address (/overview opens the
# overview, not "page not found"). The root entry comes first: links and switches lead there.
home = specs[0]
title = ui.tr(home.title_key)
root = st.Page(home.path, title=title, icon=home.icon, url_path="", default=True)
own_address = st.Page(home.path, title=title, url_path=home.url_path, visibility="hidden")
nav = st.navigation([root, own_address, *menu[1:]])
with st.sidebar:
    who = ui.names().user(user.username)  # the display name in the reader's language
    role = ui.tr("role." + user.role)
    signed = who if who == role else f"{who} · {role}"  # 客户经理, not 客户经理 · 客户经理
    st.markdown(f"**{ui.tr('app.title')}**  \n{signed}")
    signin.logout_button(KEY)
st.session_state["_filters"] = ui.sidebar_filters()
with st.spinner(ui.tr("app.loading")):  # Streamlit's Running widget is hidden in Chinese
    nav.run()
