"""Docs stay honest: every setting documented, every page registered, every string in both languages."""

import ast
import re
import tomllib
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


def _marked(tree: ast.Module, marker: str) -> bool:
    """Whether a test module carries `pytest.mark.<marker>`, on the module or on one of its tests."""
    return any(
        isinstance(n, ast.Attribute) and n.attr == marker and ast.unparse(n.value) == "pytest.mark"
        for n in ast.walk(tree)
    )


def test_the_browser_marker_is_on_modules_that_drive_a_browser_and_only_there():
    """`browser` means Chromium: a module marked so asks for the browser (or a page of it); a test that only
    takes long without one is `slow`."""
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not _marked(tree, "browser"):
            continue
        wants = {a.arg for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) for a in f.args.args}
        assert wants & {"browser", "page"}, f"{path.relative_to(ROOT)} is marked browser and drives none"


def test_the_quick_suite_leaves_out_every_marked_kind_of_long_test():
    """The README's quick suite is the suite without each registered marker's tests."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = re.search(r'pytest -m "([^"]+)"', readme)
    assert quick, "the README gives the quick suite's command"
    markers = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]
    registered = {m.split(":")[0] for m in markers["ini_options"]["markers"]}
    assert set(re.findall(r"not (\w+)", quick.group(1))) == registered, quick.group(1)
