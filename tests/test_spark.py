"""The same warehouse on Spark SQL (pyspark in local mode): marts built there and every named query return
what DuckDB returns.

One local Spark session for the module holds a copy of the xs bank's detail tables; the marts are built in
Spark by the statements of cockpit/warehouse/marts.py, and the queries go through `Warehouse.run` in Spark's
dialect.
Without Java or pyspark the tests fail with the reason: they never skip.
"""

import shutil

import numpy as np
import pandas as pd
import pytest
from test_marts import _check
from test_postgres import _canonical
from test_warehouse import sample_params, sample_settings

from cockpit.warehouse import marts, queries, schema
from cockpit.warehouse.layer import Scope, WarehouseError, render

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def sw(bank, tmp_path_factory):
    if shutil.which("java") is None:
        pytest.fail("Spark needs a Java runtime and none is on PATH: apt-get install -y default-jre-headless")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        pytest.fail("pyspark is not installed: pip install -e '.[test]'")
    from cockpit.warehouse import spark

    folder = tmp_path_factory.mktemp("spark")
    source = (
        folder / "warehouse.duckdb"
    )  # a copy: this process holds the bank open through the warehouse layer
    shutil.copy(bank / "warehouse.duckdb", source)
    session = spark.session(folder=folder)
    counts = spark.load(session, source, folder / "detail")
    built = spark.build_marts(session)
    yield spark.SparkWarehouse(session), counts, built
    session.stop()


def _same(spark_df: pd.DataFrame, duck_df: pd.DataFrame, what: str) -> None:
    """Equal as engine-neutral text; numbers whose text differs (rounding on the 6th decimal) within 2e-6."""
    assert list(spark_df.columns) == list(duck_df.columns), what
    left, right = _canonical(spark_df), _canonical(duck_df)
    assert left.shape == right.shape, what
    for col in left.columns:
        differ = left[col] != right[col]
        if differ.any():
            a, b = (
                pd.to_numeric(left[col][differ], errors="coerce"),
                pd.to_numeric(right[col][differ], errors="coerce"),
            )
            assert a.notna().all() and b.notna().all() and np.allclose(a, b, rtol=0, atol=2e-6), (
                f"{what}.{col}: {left[col][differ].head(3).tolist()} on Spark, "
                f"{right[col][differ].head(3).tolist()} on DuckDB"
            )


def test_every_detail_table_is_loaded_with_every_row(wh, sw):
    swh, counts, _ = sw
    assert set(counts) == set(schema.tables()) - set(marts.PORTABLE_MARTS)
    for table in counts:
        duck = wh.sql(f"select count(*) as n from {table}").n.iloc[0]
        assert counts[table] == duck == swh.sql(f"select count(*) as n from {table}").n.iloc[0], table


def test_marts_built_on_spark_equal_the_detail_and_duckdbs_marts(wh, sw):
    swh, _, built = sw
    from cockpit.warehouse.spark import SparkConnection

    _check(SparkConnection(swh.spark))  # the pandas computation test_marts checks DuckDB's marts against
    for table in marts.PORTABLE_MARTS:
        assert built[table] > 0, table
        cols = ", ".join(schema.column_names(table))
        _same(swh.sql(f"select {cols} from {table}"), wh.sql(f"select {cols} from {table}"), table)


def test_every_named_query_returns_the_same_on_spark(wh, sw, as_of):
    """A region head: the subtree below R01, and in rankings peers reduced to name, score and rank by the same
    layer.
    """
    swh, _, _ = sw
    scope = Scope("head_r01", "branch_head", ("R01",))
    with_peer_rows = []
    for name, q in queries.catalogue().items():
        params = {**sample_params(q, as_of), **{p.name: "R01" for p in q.params if p.type == "org"}}
        duck = wh.run(name, scope, params, settings=sample_settings(q))
        _same(swh.run(name, scope, params, settings=sample_settings(q)), duck, name)
        if q.scope == "peers":  # rankings hold peer rows to filter; a peers query may return its own only
            assert duck.org_id.isin(swh.visible_orgs(scope) | swh.peer_orgs(scope)).all(), name
            if duck.org_id.isin(swh.peer_orgs(scope)).any():
                with_peer_rows.append(name)
    assert "scorecard_scores" in with_peer_rows


@pytest.mark.parametrize("name", ["overview_kpis", "referral_matrix"])
def test_a_two_node_scope_gives_the_same_on_spark(wh, sw, as_of, name):
    """Two scope nodes OR-ed: the sub-branch reads the marts, the referral matrix an included query."""
    swh, _, _ = sw
    scope = Scope("two", "branch_head", ("R02B01", "R01B02T1"))
    q = queries.get(name)
    params = {**sample_params(q, as_of), **{p.name: "R02B01" for p in q.params if p.type == "org"}}
    _same(
        swh.run(name, scope, params, settings=sample_settings(q)),
        wh.run(name, scope, params, settings=sample_settings(q)),
        name,
    )


def test_spark_sql_keeps_duckdbs_meaning():
    """What sqlglot alone would write differently: an approximate median, decimal division, clashing CTE
    names.
    """
    sql = render("channel_service", 1, "spark")
    assert "PERCENTILE_APPROX" not in sql and "PERCENTILE(r.response_seconds, 0.5)" in sql
    assert "CAST(1.0 AS DOUBLE)" in sql
    import sqlglot

    for name in queries.catalogue():
        tree = sqlglot.parse_one(render(name, 2, "spark"), read="spark")
        with_ = tree.args.get("with_") or tree.args.get("with")
        ctes = [c.alias for c in with_.expressions] if with_ is not None else []
        assert len(ctes) == len(set(ctes)), name


def test_a_failing_spark_query_says_so_in_one_line(sw):
    swh, _, _ = sw
    with pytest.raises(WarehouseError, match="A query failed in the warehouse: .*no_such_table"):
        swh.sql("select * from no_such_table")


def test_cockpit_query_on_spark_prints_what_duckdb_prints(bank):
    """`cockpit query --engine spark`: its own local session on a copy of the
    warehouse (a separate process).
    """
    import subprocess
    import sys

    def query(*extra):
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "cockpit.ops.cli",
                "--db",
                str(bank / "warehouse.duckdb"),
                "query",
                "org_tree",
                "--as",
                "head_r01",
                "--format",
                "csv",
                *extra,
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )

    on_spark, on_duckdb = query("--engine", "spark"), query()
    assert on_spark.returncode == 0, on_spark.stderr[-2000:]
    assert on_spark.stdout == on_duckdb.stdout and on_spark.stdout.count("\n") > 5
    url = subprocess.run(
        [
            sys.executable,
            "-m",
            "cockpit.ops.cli",
            "--db",
            "postgresql+psycopg://app@127.0.0.1:1/x",
            "query",
            "org_tree",
            "--engine",
            "spark",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (
        url.returncode == 2
        and "Spark loads a DuckDB warehouse file" in url.stderr
        and "Traceback" not in url.stderr
    )
