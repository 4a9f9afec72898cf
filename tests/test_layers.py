"""Pages only lay out: they never reach the warehouse layer or a database driver themselves.

The package layering (ARCHITECTURE.md) is checked by import-linter's contracts in pyproject.toml
(`lint-imports`, run by .ci/run); pages are scripts, not a package, so they are checked here.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"]
FORBIDDEN = ("cockpit.warehouse", "duckdb", "sqlalchemy", "sqlglot", "psycopg", "seed.demo")


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return found


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_page_never_queries_itself(path):
    bad = [m for m in imported_modules(path) if m.startswith(FORBIDDEN)]
    assert not bad, f"{path.name} imports {bad}: read figures through cockpit.app.ui and the rules instead"


def test_the_check_sees_a_forbidden_import(tmp_path):
    page = tmp_path / "leaky.py"
    page.write_text("from cockpit.warehouse.layer import open_warehouse\nimport duckdb\n")
    assert [m for m in imported_modules(page) if m.startswith(FORBIDDEN)]


PAGE_WIDTH = 100  # pages read top to bottom in short lines (pages/ruff.toml formats them to this width)


def long_lines(path: Path) -> list[int]:
    """The numbers of the lines of `path` longer than PAGE_WIDTH characters."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [i for i, line in enumerate(lines, 1) if len(line) > PAGE_WIDTH]


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_a_page_reads_in_lines_of_at_most_100_characters(path):
    assert long_lines(path) == [], f"{path.name}: lines longer than {PAGE_WIDTH} characters"


def test_the_width_check_counts_characters(tmp_path):
    page = tmp_path / "wide.py"
    page.write_text("x = 1\n" + "#" + "宽" * PAGE_WIDTH + "\n" + "y" * PAGE_WIDTH + "\n", encoding="utf-8")
    assert long_lines(page) == [2]
