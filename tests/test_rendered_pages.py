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
from tests.rendered import app_text, problems

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
        assert not at.exception, (spec.url_path, [e.message for e in at.exception])
        # AppTest has no client: the sign-in's recorded address is a mock object there, an address elsewhere
        text = re.sub(r"<MagicMock name='[^']*'(?: id='?[0-9]*'?)?>?", "", app_text(at))
        bad = problems(text, lang, AS_WRITTEN.get(spec.url_path, set()))
        if bad:
            found[spec.url_path] = sorted(set(bad))[:8]
    assert found == {}


def test_the_checker_catches_what_it_should():
    for text in ("机构 R01B01T1M1", "类型 dormant_high_value", "负责人 None", "转化率 nan", "状态 Behind"):
        assert problems(text, "zh"), text
    assert problems("Owner R02", "en") and not problems("Owner: Head of Shanghai, 62.7%", "en")
    assert not problems("存款余额（亿元） 1.43 SICAS 行动数 信用卡App", "zh")
