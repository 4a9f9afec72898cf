"""The cockpit's server process: what every page run needs is loaded before the first visitor comes, then
Streamlit's own command line serves app.py in this same process (`python -m cockpit.app.serve [options]`).

Done once at start instead of in a visitor's first run: the modules app.py and the pages import, the
warehouse's connection pool (the one `ui.warehouse()` hands out), and app.py's navigation taking over from
the `pages/` folder, which a fresh Streamlit server would otherwise run as old-style pages for its very first
request (a run thrown away for a rerun). Then `gc.freeze()`: Streamlit collects all generations after every
script run, and moving the start-up objects (modules, functions, the warehouse) out of the collector's sight
makes that collection walk only what page runs created.
"""

from __future__ import annotations

import ast
import gc
import importlib
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"


def _imported(script: Path) -> set[str]:
    """The modules a script imports at its top level."""
    names: set[str] = set()
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def import_pages() -> int:
    """Import what app.py and every page import (a name that is not a module, like a function, is skipped)."""
    count = 0
    for script in [APP, *sorted((ROOT / "pages").glob("*.py"))]:
        for name in sorted(_imported(script)):
            try:
                importlib.import_module(name)
                count += 1
            except ImportError:
                pass
    return count


def open_warehouse() -> str | None:
    """Open the configured warehouse through the app's own cached opener; why not, or None when it opened."""
    from cockpit.app import ui
    from cockpit.core import config

    try:
        ui.open_cached(config.warehouse_target())
    except Exception as e:  # the first page says so in the visitor's language
        return f"{type(e).__name__}: {str(e)[:200]}"
    return None


def warm_sidebars() -> int:
    """The sidebar's names and picker of every scope holding the head office or a branch (their trees are
    large), worked out now; smaller scopes take a moment on their first visit. Returns the scopes warmed."""
    from cockpit.app import ui
    from cockpit.core import config
    from cockpit.state import auth
    from cockpit.warehouse.layer import open_warehouse as opened

    target = config.warehouse_target()
    wh = opened(target)
    high = set(wh.sql("select org_id from orgs where level <= 1").org_id)
    scopes = {u.scope.org_ids for u in auth.list_users() if set(u.scope.org_ids) & high}
    for org_ids in sorted(scopes):
        ui.warm_sidebar(target, org_ids)
    return len(scopes)


def assemble_queries() -> int:
    """Every named query assembled and transpiled for the warehouse's engine (`layer.render`: 5 to 170 ms a
    query, 1.1 s for all), and the rule files read, so that no visitor's first page waits on them."""
    from cockpit.core import config
    from cockpit.domain import metrics, scorecard
    from cockpit.warehouse import layer, queries
    from cockpit.warehouse.layer import open_warehouse as opened

    dialect = opened(config.warehouse_target()).dialect
    names = list(queries.catalogue())
    for name in names:
        for rows in (0, 1) if layer.bound_rows_spec(name) else (0,):
            layer.render(name, 1, dialect, rows)
    metrics.all()
    scorecard.config()
    return len(names)


def warm() -> str:
    """Everything above, once; a line saying what it took."""
    from streamlit.runtime.caching import cache_data_api
    from streamlit.runtime.pages_manager import PagesManager

    t0 = time.perf_counter()
    PagesManager.uses_pages_directory = False  # app.py calls st.navigation on every run
    # st.cache_data checks its settings when a module defines a cached function, and warns that no server
    # runs yet: true, and harmless (the caches themselves are made on first use, inside the server).
    quiet = cache_data_api._LOGGER
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        modules = import_pages()
    finally:
        quiet.setLevel(level)
    t1 = time.perf_counter()
    why = open_warehouse()
    t2 = time.perf_counter()
    sidebar = ""
    if why is None:
        try:
            assembled = assemble_queries()
            sidebar = f"{assembled} queries assembled and the sidebar of {warm_sidebars()} scopes"
        except Exception as e:  # the sidebar is then worked out on a first visit, as before
            sidebar = f"the queries and sidebars not worked out ahead ({type(e).__name__}: {str(e)[:200]})"
    t3 = time.perf_counter()
    gc.collect()
    gc.freeze()
    opened = (
        f"warehouse opened in {(t2 - t1) * 1000:.0f} ms, {sidebar} in {(t3 - t2) * 1000:.0f} ms"
        if why is None
        else f"warehouse not opened ({why})"
    )
    return (
        f"warm start: {modules} modules imported in {(t1 - t0) * 1000:.0f} ms, {opened}, "
        f"{gc.get_freeze_count():,} objects frozen out of the collector's sight"
    )


def main(argv: list[str]) -> None:
    """Warm up, then hand over to `streamlit run app.py ARGV` in this process (it never returns)."""
    print(warm(), flush=True)
    from streamlit.web import cli

    cli.main(args=["run", str(APP), *argv], prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
