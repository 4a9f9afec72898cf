"""Every page for every role, in both languages, read as rendered text (AppTest): no raw org or manager
id, no snake_case code, no None or nan, no English words in the Chinese interface. What a page may show
as written is named here with its reason: the table names an operator imports, the columns of the targets
workbook, the sign-in names and commands an administrator types."""

from __future__ import annotations

import re

import pytest

from cockpit.app.navigation import pages_for
from cockpit.ops import targets_io
from cockpit.state import auth
from cockpit.warehouse import schema
from seed.ingest import importer
from tests.rendered import app_text, each_tab, problems

USERNAMES = [u[0] for u in auth.DEMO_USERS]
CLI_WORDS = {"cockpit", "users", "list", "add", "set-password", "remove", "import", "mapping", "db"}
AS_WRITTEN = {
    "channels": set(schema.tables()),  # "import the service_records table": the name the operator uses
    "targets-admin": set(targets_io.COLUMNS),  # the workbook's own column names
    "users": set(USERNAMES) | CLI_WORDS,
    "import": set(schema.tables()) | CLI_WORDS | set(importer.mapping_names()),  # names the CLI takes
}


@pytest.fixture(scope="module", autouse=True)
def fresh_state(bank, tmp_path_factory):
    """The same warehouse, but the app state of a new install (demo users only): what other tests stored,
    such as actions titled in English by an English-speaking user, is not part of this check."""
    import os

    before = os.environ["COCKPIT_HOME"]
    os.environ["COCKPIT_HOME"] = str(tmp_path_factory.mktemp("rendered_home"))
    auth.ensure_demo_users()
    yield
    os.environ["COCKPIT_HOME"] = before


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("username", USERNAMES)
def test_every_page_reads_in_words(app, username, lang):
    at = app(username, lang=lang)
    assert not at.exception
    found = {}
    for spec in pages_for(auth.get_user(username).role):
        at.switch_page(spec.path).run()
        for view in each_tab(at):  # a page drawing its tabs lazily is read tab by tab
            assert not view.exception, (spec.url_path, [e.message for e in view.exception])
            # AppTest has no client: the sign-in's recorded address is a mock there, an address elsewhere
            text = re.sub(r"<MagicMock name='[^']*'(?: id='?[0-9]*'?)?>?", "", app_text(view))
            bad = problems(text, lang, AS_WRITTEN.get(spec.url_path, set()))
            if bad:
                found.setdefault(spec.url_path, []).extend(sorted(set(bad))[:8])
    assert found == {}


def test_the_checker_catches_what_it_should():
    for text in ("机构 R01B01T1M1", "类型 dormant_high_value", "负责人 None", "转化率 nan", "状态 Behind"):
        assert problems(text, "zh"), text
    assert problems("Owner R02", "en") and not problems("Owner: Head of Shanghai, 62.7%", "en")
    assert not problems("存款余额（亿元） 1.43 SICAS 行动数 信用卡App", "zh")


def test_streamlits_own_english_is_restyled_or_replaced_in_chinese(app):
    """Streamlit's untranslatable words (the uploader's Upload and 200MB line, the Running / Stop widget) are
    restyled in Chinese only, the uploader's label states what the hidden line said, and a multiselect
    says 选择客户 instead of "Choose options"."""
    import streamlit as st

    from cockpit.app import chrome

    css = [h.proto.body for h in app("manager1", lang="zh").get("html")]
    assert chrome.ZH_CSS in css and "stStatusWidget" in chrome.ZH_CSS and "选择文件" in chrome.ZH_CSS
    assert chrome.ZH_CSS not in [h.proto.body for h in app("manager1", lang="en").get("html")]
    at = app("manager1", lang="zh")
    at.switch_page("pages/actions.py").run()
    assert at.multiselect(key="new_customers").placeholder == "选择客户"
    at = app("admin", lang="zh")
    at.switch_page("pages/admin_import.py").run()
    label = next(e.proto.label for e in at.get("file_uploader"))
    assert f"{st.get_option('server.maxUploadSize')}MB" in label and "Parquet" in label


def _switching_app() -> None:
    """A page with the app's language switch and a selectbox, a multiselect and a button labelled by it."""
    import streamlit as st

    from cockpit.app import chrome

    def switch() -> None:
        st.session_state["lang"] = st.session_state["lang_choice"]
        chrome.relabel_widgets(skip="lang_choice")

    lang = st.session_state.get("lang", "zh")
    st.radio("lang", ["zh", "en"], key="lang_choice", on_change=switch)
    words = {"daily": "每日" if lang == "zh" else "Daily", "weekly": "每周" if lang == "zh" else "Weekly"}
    st.selectbox("freq", list(words), index=1, key="freq", format_func=words.get)
    st.multiselect("freqs", list(words), default=["daily"], key="freqs", format_func=words.get)
    st.button("go", key="go")
    st.file_uploader("file", key="file")


def test_a_language_switch_sends_each_choice_again_in_the_new_language():
    """Streamlit's browser shows a selectbox's old label after format_func changes until the server sends
    the value again (seen in Chromium: 每日 under an English page): the switch makes it send the value."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_switching_app).run()
    assert not at.selectbox(key="freq").proto.set_value  # nothing is pushed without a switch
    at.radio(key="lang_choice").set_value("en").run()
    assert not at.exception
    box, many = at.selectbox(key="freq"), at.multiselect(key="freqs")
    assert box.proto.set_value and box.proto.raw_value == "Weekly" and box.value == "weekly"
    assert many.proto.set_value and list(many.proto.raw_values) == ["Daily"]


def test_the_signed_in_line_names_a_role_once(app):
    for username, lang, line in (("manager1", "zh", "客户经理"), ("exec", "zh", "行长 · 总行管理层")):
        at = app(username, lang=lang)
        assert at.sidebar.markdown[0].value.endswith(f"  \n{line}")  # not 客户经理 · 客户经理
