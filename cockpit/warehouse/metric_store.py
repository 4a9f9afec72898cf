"""Stored metric values (`mart_metric_values`): what `queries/metric_values.sql` gives at grain window for
every org node down to the teams, over the windows the overview, the targets page and the guidance ask for,
written by `cockpit build` after the marts so that those pages read rows instead of summing balances and
events.

Windows: for the month, quarter and year holding the warehouse's last day, the period to date, its comparable
windows a period and a year before (`Period.previous`, `Period.year_ago`, as `cockpit.domain.targets.windows`
asks) and the whole previous period (as the guidance's target rule reads). A node from the sub-branches up is
read with its children (`queries/metric_values_stored.sql`). The daily series of the current periods (the
targets page's chart) are kept for the head office and the branches, whose subtrees are too large to sum at
view time. A team's managers, other daily series and other windows are computed by `metric_values` from the
marts and events.

The figures are computed by the named query itself, with a scope holding the whole tree, so the stored rows
are the query's own answer; the read query joins the reader's scope like every query.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pandas as pd

from cockpit.core.periods import KINDS, Period, current_windows
from cockpit.warehouse import marts, schema, stored_write
from cockpit.warehouse.layer import Scope, Warehouse

TABLE = marts.METRIC_TABLE
STORED_LEVEL = 3  # nodes kept: down to the teams, the children of the deepest parent served (a sub-branch)
DAILY_LEVEL = 1  # daily series kept: the head office and the branches; a sub-branch sums its own marts fast
BUILDER = "cockpit-build"


def windows(as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The windows stored for a warehouse whose last day is `as_of`, each once, in order."""
    out: set[tuple[dt.date, dt.date]] = set()
    for kind in KINDS:
        period = Period.containing(kind, as_of, as_of)
        before = period.shifted(-1)
        out |= {(period.start, period.to_date), period.previous(), period.year_ago()}
        out.add((before.start, before.end))
    return sorted(out)


def daily_windows(as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The windows whose daily series are stored: the current month, quarter and year to date (the targets
    page's default periods)."""
    return current_windows(as_of)


def compute(wh: Warehouse, as_of: dt.date) -> pd.DataFrame:
    """mart_metric_values rows for every stored window, from the named query run over the whole tree."""
    roots = wh.sql("select org_id from orgs where parent_id is null").org_id
    root = Scope(BUILDER, "executive", tuple(sorted(roots)))
    frames = []
    for start, end in windows(as_of):
        params = {"start": start, "end": end, "parent": "all", "max_level": STORED_LEVEL}
        df = wh.run("metric_values", root, params, use_stored=False)
        frames.append(df.assign(window_start=start, window_end=end, grain="window"))
    for start, end in daily_windows(as_of):
        params = {"start": start, "end": end, "parent": "all", "max_level": DAILY_LEVEL, "grain": "day"}
        df = wh.run("metric_values", root, params, use_stored=False)
        frames.append(df.assign(window_start=start, window_end=end, grain="day"))
    if not frames:
        return pd.DataFrame(columns=schema.column_names(TABLE))
    return pd.concat(frames, ignore_index=True)[schema.column_names(TABLE)]


def build(target: str | Path) -> str:
    """`cockpit build`'s step after the marts: replace the stored metric values (a DuckDB file)."""
    t0 = time.perf_counter()
    wh = Warehouse(str(target))
    try:
        last = wh.sql("select max(event_date) as d from events").d.iloc[0]
        empty = pd.DataFrame(columns=schema.column_names(TABLE))
        rows = empty if last is None or last != last else compute(wh, pd.Timestamp(last).date())
    finally:
        wh.engine.dispose()
    stored_write.replace(target, {TABLE: rows}, [(f"delete from {TABLE}", [])])
    n = len(rows[["window_start", "window_end", "grain"]].drop_duplicates())
    seconds = time.perf_counter() - t0
    return f"metric values stored in {seconds:.2f} s: {n} windows and series, {len(rows):,} rows"
