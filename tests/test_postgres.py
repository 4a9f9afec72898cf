"""The same warehouse on a real PostgreSQL server: every named query returns what DuckDB returns.

A throwaway cluster is started on 127.0.0.1 (tests/pgcluster.py, the `pg_url` fixture of conftest.py). If
the server cannot be started, the tests fail with the reason: they never skip.
"""

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest
from test_warehouse import sample_params, sample_settings

from cockpit.warehouse import export, queries, schema
from cockpit.warehouse.layer import Scope, Warehouse

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg(bank, pg_url, tmp_path_factory):
    # A copy: this process already holds the bank open through the warehouse layer (another DuckDB
    # configuration).
    source = tmp_path_factory.mktemp("export") / "warehouse.duckdb"
    shutil.copy(bank / "warehouse.duckdb", source)
    counts = export.export(source, pg_url)
    wh = Warehouse(pg_url)
    yield wh, counts
    wh.engine.dispose()


def _canonical(df: pd.DataFrame) -> pd.DataFrame:
    """Values as engine-neutral text and rounded floats, rows in a fixed order."""
    out = {}
    for col in df.columns:
        v = df[col]
        num = pd.to_numeric(v, errors="coerce") if not pd.api.types.is_bool_dtype(v) else v.astype(float)
        if v.notna().any() and num.notna().sum() == v.notna().sum():
            out[col] = num.astype(float).round(6).map(lambda x: "" if np.isnan(x) else repr(x))
        else:
            out[col] = v.map(
                lambda x: (
                    ""
                    if x is None or x is pd.NaT or (isinstance(x, float) and np.isnan(x))
                    else (pd.Timestamp(x).isoformat() if isinstance(x, (dt.date, np.datetime64)) else str(x))
                )
            )
    frame = pd.DataFrame(out, columns=list(df.columns))
    return frame.sort_values(list(frame.columns)).reset_index(drop=True) if len(frame.columns) else frame


def test_export_copies_every_table_with_every_row(wh, pg):
    pgwh, counts = pg
    assert set(counts) == set(schema.tables())
    for table in schema.tables():
        duck = wh.sql(f"select count(*) as n from {table}").n.iloc[0]
        assert counts[table] == duck == pgwh.sql(f"select count(*) as n from {table}").n.iloc[0], table


@pytest.mark.parametrize(
    "username_scope", [("exec", ("HO",)), ("head", ("R01",)), ("two", ("R02B01", "R01B02T1"))]
)
def test_every_named_query_returns_the_same_on_postgres(wh, pg, as_of, username_scope):
    pgwh, _ = pg
    name, nodes = username_scope
    scope = Scope(name, "executive" if nodes == ("HO",) else "branch_head", nodes)
    checked = 0
    for qname, q in queries.catalogue().items():
        params = sample_params(q, as_of)
        for p in q.params:
            if p.type == "org":
                params[p.name] = nodes[0]
        duck = wh.run(qname, scope, params, settings=sample_settings(q))
        post = pgwh.run(qname, scope, params, settings=sample_settings(q))
        assert list(post.columns) == list(duck.columns), qname
        pd.testing.assert_frame_equal(_canonical(post), _canonical(duck), obj=qname)
        checked += 1
    assert checked == len(queries.catalogue())


def test_overview_reads_the_same_marts_on_postgres(wh, pg, as_of):
    pgwh, _ = pg
    assert pgwh.sql("select count(*) as n from mart_org_period").n.iloc[0] > 0
    start = as_of.replace(day=1)
    params = {
        "org_id": "R01",
        "start": start,
        "end": as_of,
        "prev_start": dt.date(2026, 10, 1),
        "prev_end": dt.date(2026, 10, 31),
    }
    s = Scope("t", "executive", ("HO",))
    pd.testing.assert_frame_equal(
        _canonical(pgwh.run("overview_kpis", s, params)), _canonical(wh.run("overview_kpis", s, params))
    )


def test_prepared_answers_reach_postgres_and_read_the_same(bank, pg_url, tmp_path, as_of):
    """The kept answers are bytes (Arrow's stream format): exported to PostgreSQL as bytea, a reader there is
    given the same rows as on DuckDB, and the scope is checked there too."""
    from pgcluster import fresh_database

    from cockpit.core.periods import current_windows
    from cockpit.warehouse import prepared_store
    from cockpit.warehouse.layer import ScopeError

    source = tmp_path / "prepared.duckdb"
    shutil.copy(bank / "warehouse.duckdb", source)
    prepared_store.build(source)
    url = fresh_database(pg_url)
    counts = export.export(source, url)
    duck, post = Warehouse(str(source)), Warehouse(url)
    try:
        assert counts["mart_prepared"] > 0
        assert post.sql("select count(*) as n from mart_prepared").n.iloc[0] == counts["mart_prepared"]
        (start, end), *_ = current_windows(as_of)
        params = {"org_id": "R01", "start": start, "end": end, "max_rows": 50}
        given = duck.run("sicas_dropoff", Scope("t", "branch_head", ("R01",)), params)
        assert not given.empty
        kept = post._prepared("sicas_dropoff", queries.get("sicas_dropoff").bind(params))
        assert kept is not None  # read from the exported bytes, not computed on PostgreSQL
        read = post.run("sicas_dropoff", Scope("t", "branch_head", ("R01",)), params)
        pd.testing.assert_frame_equal(read, given)
        with pytest.raises(ScopeError):
            post.run("sicas_dropoff", Scope("t", "branch_head", ("R02",)), params)
    finally:
        duck.engine.dispose()
        post.engine.dispose()
