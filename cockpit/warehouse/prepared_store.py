"""`cockpit build`'s step keeping the prepared answers (`mart_prepared`, see cockpit/warehouse/prepared.py).

Every query declaring `-- prepared:` is run through `Warehouse.run` itself, with a scope holding the whole
tree (and, for a query kept per scope, with the branch's own), for each node down to `prepared.LEVEL`, each
window a page opens on (the current month, quarter and year to the warehouse's as-of day, or that day for a
query taking `as_of`) and each combination of the values its header lists. A full build and a new day both
replace every answer: the windows move with the day.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from pathlib import Path
from typing import Any

import pandas as pd

from cockpit.core.periods import current_windows
from cockpit.warehouse import prepared, queries, schema, stored_write
from cockpit.warehouse.layer import Scope, Warehouse

BUILDER = "cockpit-build"


def asks(q: queries.NamedQuery, as_of: dt.date) -> list[dict[str, Any]]:
    """The parameters (org_id aside) a prepared query is kept for."""
    names = {p.name for p in q.params}
    days: list[dict[str, Any]] = (
        [{"start": s, "end": e} for s, e in current_windows(as_of)]
        if {"start", "end"} <= names
        else [{"as_of": as_of}]
    )
    listed = [[(name, v) for v in values] for name, values in q.prepared or ()]
    return [{**day, **dict(combo)} for day in days for combo in itertools.product(*listed)]


def readers(q: queries.NamedQuery, root: Scope, org: str, level: int) -> list[Scope]:
    """The scopes a node's answer is kept for: any reader's, or, kept per scope, the whole tree's (an
    executive's) and a branch's own (its head's)."""
    if not q.per_scope or level == 0:
        return [root]
    return [root, Scope(BUILDER, "branch_head", (org,))]


def compute(wh: Warehouse, as_of: dt.date, progress: Any = None) -> pd.DataFrame:
    """mart_prepared rows: every prepared query's answer for every node and ask."""
    roots = wh.sql("select org_id from orgs where parent_id is null").org_id
    root = Scope(BUILDER, "executive", tuple(sorted(roots)))
    nodes = wh.sql(f"select org_id, level from orgs where level <= {prepared.LEVEL} order by path")
    rows = []
    for q in queries.catalogue().values():
        if q.prepared is None:
            continue
        t0 = time.perf_counter()
        for params in asks(q, as_of):
            for org, level in zip(nodes.org_id, nodes.level):
                given = {**params, "org_id": org}
                for scope in readers(q, root, org, level):
                    df = wh.run(q.name, scope, given, use_stored=False)
                    key = prepared.key(q.bind(given), scope.org_ids if q.per_scope else None)
                    rows.append((q.name, org, key, len(df), prepared.encode(df)))
        if progress is not None:
            progress(f"  {q.name}: {time.perf_counter() - t0:.1f} s")
    return pd.DataFrame(rows, columns=schema.column_names(prepared.TABLE))


def build(target: str | Path, progress: Any = None) -> str:
    """`cockpit build`'s step: replace the prepared answers (a DuckDB file)."""
    t0 = time.perf_counter()
    wh = Warehouse(str(target))
    try:
        info = wh.sql("select as_of from warehouse_info")
        as_of = None if info.empty or pd.isna(info.as_of.iloc[0]) else pd.Timestamp(info.as_of.iloc[0]).date()
        rows = (
            pd.DataFrame(columns=schema.column_names(prepared.TABLE))
            if as_of is None
            else compute(wh, as_of, progress)
        )
    finally:
        wh.engine.dispose()
    stored_write.replace(target, {prepared.TABLE: rows}, [(f"delete from {prepared.TABLE}", [])])
    seconds = time.perf_counter() - t0
    names, kept_rows = rows.query_name.nunique(), int(rows.row_count.sum()) if len(rows) else 0
    return f"prepared answers kept in {seconds:.2f} s: {len(rows):,} of {names} queries, {kept_rows:,} rows"
