"""Writes the stored guidance (mart_guidance, mart_insights; computed by cockpit/guidance/stored.py) into
a DuckDB warehouse: the rows of one build replace those of the last, in one transaction."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from cockpit.warehouse import marts, schema

TABLES = marts.GUIDANCE_TABLES


def write(target: str | Path, runs: pd.DataFrame, rows: pd.DataFrame) -> None:
    """Replace the stored guidance with `runs` (mart_guidance rows) and `rows` (mart_insights rows)."""
    con = duckdb.connect(str(target))
    try:
        marts.ensure(con, TABLES)  # a warehouse built before the stored guidance existed gets its tables
        con.execute("begin")
        for table, frame in zip(TABLES, (runs, rows)):
            con.execute(f"delete from {table}")
            if not frame.empty:
                con.register("incoming", frame[schema.column_names(table)])
                con.execute(f"insert into {table} select * from incoming")
                con.unregister("incoming")
        con.execute("commit")
        con.execute("checkpoint")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.close()
