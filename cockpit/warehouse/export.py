"""`cockpit export --to URL`: copy the warehouse (detail tables and marts) from DuckDB into another engine.

The tables are created from cockpit/warehouse/schema.yaml, their DDL transpiled by sqlglot into the target's
dialect, then filled: PostgreSQL through COPY (DuckDB writes each table as CSV, psycopg streams it),
any other SQLAlchemy engine through batched inserts. Events and balances go in date order, so the
target's block ranges (BRIN indexes, zone maps) work as in DuckDB. Existing tables are replaced.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
import sqlglot

from cockpit.warehouse import schema
from cockpit.warehouse.duck import one_row

ORDER = {"events": "event_date, event_id", "balances_daily": "balance_date, org_id, category"}


class ExportError(RuntimeError):
    """The export cannot run; the message says why."""


def _dialect(url: str) -> str:
    from cockpit.warehouse.layer import _dialect as dialect

    return dialect(url)


def ddl(table: str, dialect: str) -> str:
    """The CREATE TABLE statement of a documented table in the target's dialect."""
    return sqlglot.transpile(schema.ddl(table), read="duckdb", write=dialect)[0]


def export(source: str | Path, url: str) -> dict[str, int]:
    """Copy every documented table from the DuckDB file `source` into `url`. Returns rows per table."""
    import duckdb

    if not Path(source).exists():
        raise ExportError(f"no DuckDB warehouse at {source}")
    dialect = _dialect(url)
    con = duckdb.connect(str(source), read_only=True)
    engine = sa.create_engine(url)
    counts: dict[str, int] = {}
    try:
        have = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        with tempfile.TemporaryDirectory() as tmp:
            for table in schema.tables():
                cols = schema.column_names(table)
                with engine.begin() as out:
                    out.execute(sa.text(f"drop table if exists {table}"))
                    out.execute(sa.text(ddl(table, dialect)))
                if table not in have:
                    counts[table] = 0
                    continue
                order = f" order by {ORDER[table]}" if table in ORDER else ""
                select = f"select {', '.join(cols)} from {table}{order}"
                if dialect == "postgres":
                    # CSV holds bytes as PostgreSQL's hex form of bytea
                    hexed = [f"'\\x' || hex({c}) as {c}" if _is_blob(table, c) else c for c in cols]
                    select = f"select {', '.join(hexed)} from {table}{order}"
                    counts[table] = _copy_postgres(con, engine, table, cols, select, Path(tmp))
                else:
                    counts[table] = _insert(con, engine, table, select)
    finally:
        con.close()
        engine.dispose()
    return counts


def _is_blob(table: str, column: str) -> bool:
    return str(schema.tables()[table]["columns"][column]["type"]).lower() == "blob"


def _copy_postgres(con, engine: sa.Engine, table: str, cols: list[str], select: str, tmp: Path) -> int:
    path = tmp / f"{table}.csv"
    con.execute(f"copy ({select}) to '{path}' (format csv, header false)")
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:  # type: ignore[attr-defined]
            with (
                cur.copy(f"copy {table} ({', '.join(cols)}) from stdin (format csv)") as copy,
                path.open("rb") as f,
            ):
                while block := f.read(1 << 20):
                    copy.write(block)
            cur.execute(f"analyze {table}")
        raw.commit()
    finally:
        raw.close()
    path.unlink()
    return one_row(con, f"select count(*) from {table}")[0]


def _insert(con, engine: sa.Engine, table: str, select: str, batch: int = 50_000) -> int:
    result = con.execute(select)
    n = 0
    while len(df := result.fetch_df_chunk(batch // 2048 or 1)):
        df.to_sql(table, engine, if_exists="append", index=False, method="multi", chunksize=1000)
        n += len(df)
    return n


def export_command(source: str, url: str) -> str:
    if "://" in source:
        raise ExportError("`cockpit export` reads a DuckDB warehouse file; give --db a file path")
    t0 = time.perf_counter()
    try:
        counts = export(source, url)
    except (sa.exc.OperationalError, sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as e:
        detail = str(getattr(e, "orig", None) or e).strip().splitlines()[0][:160]
        raise ExportError(f"cannot reach the target warehouse: {detail}") from e
    total = sum(counts.values())
    safe = sa.engine.make_url(url).render_as_string(hide_password=True)
    return f"exported {len(counts)} tables, {total:,} rows to {safe} in {time.perf_counter() - t0:.1f} s"
