"""Docs stay honest: every setting documented, every page registered, every string in both languages."""

import re
from pathlib import Path

from cockpit.app.navigation import PAGES
from cockpit.core import config, i18n

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for s in config.SETTINGS:
        assert f"`{s.name}`" in readme, s.name


def test_every_page_file_is_registered_and_every_registration_exists():
    files = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    assert files == {p.path for p in PAGES}


def test_every_catalogue_entry_has_both_languages():
    for key, entry in i18n.catalogue().items():
        assert set(entry) == set(i18n.LANGS), key
        assert all(entry[lang].strip() for lang in i18n.LANGS), key


def test_every_string_key_used_in_code_exists():
    used = set()
    for path in [*(ROOT / "cockpit").rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"]:
        used |= set(
            re.findall(r"""\btr\(\s*["']([a-z_]+(?:\.[a-z0-9_]+)+)["']""", path.read_text(encoding="utf-8"))
        )
    missing = used - set(i18n.catalogue())
    assert not missing, missing


def test_money_reads_in_wan_and_yi_in_chinese_and_with_separators_in_english():
    assert i18n.money(12_345_678, "zh") == "1234.57万"
    assert i18n.money(123_456_789_012, "zh") == "1234.57亿"
    assert i18n.money(12_345_678, "en") == "12.35M"
    assert i18n.money(5_799.11, "zh") == "5,799.11元" and i18n.money(5_799.11, "en") == "5,799.11"
    assert i18n.count(12_345, "en") == "12,345"
    assert i18n.pct(0.1234, "zh") == "12.3%"


def test_ci_runs_the_readmes_test_command_as_written():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```bash\n(.+?)\n```", readme)
    assert len(commands) >= 2, "the README starts with the start command and the test command"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert commands[1] in ci, f"{commands[1]!r} is not a line of .ci/run"


def test_architecture_names_every_package_and_the_contract_every_layer():
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    contract = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for pkg in sorted(p.parent for p in (ROOT / "cockpit").glob("*/__init__.py")):
        assert f"cockpit/{pkg.name}/" in text, f"ARCHITECTURE.md does not place cockpit/{pkg.name}"
        assert f'"cockpit.{pkg.name}' in contract or f"cockpit.{pkg.name} " in contract, pkg.name


def test_scores_read_with_one_decimal_even_when_whole():
    assert i18n.fmt(52.0, "score", "zh") == "52.0"
    assert i18n.fmt(51.94, "score", "en") == "51.9"
