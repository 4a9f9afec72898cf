"""Spark SQL as the warehouse engine: the same named queries and marts, run by a Spark session.

Nothing here is Spark-only SQL: the detail tables are copied from the DuckDB warehouse, the marts are
built by the statements of cockpit/warehouse/marts.py and the named queries are rendered by
`warehouse.render(..., "spark")`, both transpiled by sqlglot. `SparkWarehouse` is a `Warehouse`
whose engine is a Spark session, so parameters, scope, org checks and the peers filter are the
ones DuckDB and PostgreSQL go through. The tests run Spark in local mode (`local[2]`); a cluster
runs the same SQL (see the README: a Spark Thrift server is reached through `hive://`).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from cockpit.warehouse import marts, schema
from cockpit.warehouse.duck import one_row
from cockpit.warehouse.layer import Warehouse, WarehouseError, transpile

LOCAL_CONF = {  # a quiet single-machine session: no web UI, loopback only, few shuffle partitions
    "spark.ui.enabled": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.shuffle.partitions": "2",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
}


def session(master: str = "local[2]", folder: str | Path | None = None):
    """A Spark session (one per process); tables it creates are written under `folder`."""
    if shutil.which("java") is None:
        raise WarehouseError(
            "Spark needs a Java runtime: install one (apt-get install -y default-jre-headless, "
            "Java 17 or 21)."
        )
    with warnings.catch_warnings():  # pyspark warns about pandas 3 on import; results come through Arrow
        warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
        try:
            from pyspark.sql import SparkSession
        except ImportError as e:
            raise WarehouseError("Spark needs pyspark: pip install 'beidou-cockpit[spark]'.") from e
        folder = Path(folder or tempfile.mkdtemp(prefix="cockpit-spark-"))
        builder = SparkSession.builder.master(master).appName("beidou-cockpit")
        for key, value in {**LOCAL_CONF, "spark.sql.warehouse.dir": str(folder / "tables")}.items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("FATAL")  # failures reach the caller as exceptions
    return spark


class SparkConnection:
    """DuckDB-style `execute(sql, [args])` on Spark: DuckDB SQL transpiled by sqlglot, `?` bound in order.

    For the project's own trusted SQL (mart builds, tests), like `Warehouse.sql`; never for user text."""

    def __init__(self, spark):
        self.spark = spark
        self._result: pd.DataFrame | None = None

    def execute(self, sql: str, args: list[Any] | None = None) -> SparkConnection:
        statement = transpile(sql, "spark")
        self._result = _pandas(self.spark.sql(statement, args=list(args or [])))
        return self

    def df(self) -> pd.DataFrame:
        assert self._result is not None, "execute() first"
        return self._result

    def fetchall(self) -> list[tuple]:
        return list(
            self.df().astype(object).where(self.df().notna(), None).itertuples(index=False, name=None)
        )

    def fetchone(self) -> tuple | None:
        rows = self.fetchall()
        return rows[0] if rows else None


def _pandas(frame) -> pd.DataFrame:
    """A Spark result as pandas through Arrow (as DuckDB hands it over); decimals become floats."""
    df = frame.toArrow().to_pandas()
    for col in df.columns:
        if (
            df[col].dtype == object
            and df[col].map(lambda v: v is None or type(v).__name__ == "Decimal").all()
            and df[col].notna().any()
        ):
            df[col] = df[col].astype(float)
    return df


# Copied from DuckDB: the detail tables, and the stored funnel, which only DuckDB builds (marts.MARTS).
DETAIL = [t for t in schema.tables() if t not in marts.PORTABLE_MARTS]


def load(spark, source: str | Path, folder: str | Path) -> dict[str, int]:
    """Copy the detail tables of the DuckDB warehouse `source` into Spark tables (Parquet files in `folder`),
    declared from schema.yaml as on any other engine.

    Returns rows per table. Events and balances keep their date order, as in DuckDB."""
    import duckdb

    from cockpit.warehouse.export import ORDER

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    con = duckdb.connect(str(source), read_only=True)
    try:
        for table in DETAIL:
            path = folder / f"{table}.parquet"
            order = f" order by {ORDER[table]}" if table in ORDER else ""
            con.execute(
                f"copy (select {', '.join(schema.column_names(table))} from {table}{order}) to "
                f"'{path}' (format parquet)"
            )
            spark.sql(f"drop table if exists {table}")
            spark.sql(
                f"{transpile(schema.ddl(table), 'spark')} using parquet location '{path.resolve().as_uri()}'"
            )
            counts[table] = one_row(con, f"select count(*) from {table}")[0]
    finally:
        con.close()
    return counts


def build_marts(spark) -> dict[str, int]:
    """`cockpit build` on Spark: recreate the mart tables from schema.yaml and fill them by the marts' own
    SQL.
    """
    con = SparkConnection(spark)
    for table in marts.PORTABLE_MARTS:
        spark.sql(f"drop table if exists {table}")
        spark.sql(transpile(schema.ddl(table), "spark") + " using parquet")
    lo, hi = one_row(con, "select min(event_date), max(event_date) from events")
    if lo is not None:
        for sql, args in marts.full_build(lo, hi):
            con.execute(sql, args)
    return {t: one_row(con, f"select count(*) from {t}")[0] for t in marts.PORTABLE_MARTS}


class SparkWarehouse(Warehouse):
    """A `Warehouse` whose engine is a Spark session: `run` renders every named query in Spark's dialect."""

    def __init__(self, spark):  # pylint: disable=super-init-not-called  (no SQLAlchemy engine to open)
        self.spark = spark
        self.target = self.url = f"spark:{spark.sparkContext.master}"
        self.dialect = "spark"
        self.engine = None
        self._lock = threading.Lock()
        self._remember(None)

    def _frame(self, sql: str, params: dict[str, Any]) -> pd.DataFrame:
        from pyspark.errors import PySparkException

        try:
            return _pandas(self.spark.sql(sql, args=params))
        except PySparkException as e:
            raise WarehouseError(
                f"A query failed in the warehouse: {str(e).strip().splitlines()[0][:200]}"
            ) from e


def open_local(source: str | Path, folder: str | Path | None = None) -> SparkWarehouse:
    """A local Spark session holding a copy of the DuckDB warehouse `source` and its marts built there."""
    if "://" in str(source) or not Path(source).is_file():
        raise WarehouseError(f"Spark loads a DuckDB warehouse file; there is none at {source}.")
    folder = Path(folder or tempfile.mkdtemp(prefix="cockpit-spark-"))
    spark = session(folder=folder)
    load(spark, source, folder / "detail")
    build_marts(spark)
    return SparkWarehouse(spark)


__all__ = ["SparkConnection", "SparkWarehouse", "build_marts", "load", "open_local", "session"]
