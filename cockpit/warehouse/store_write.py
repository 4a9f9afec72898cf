"""Writes rows that a build step above the marts computed through the named queries (the stored metric values,
the stored guidance) into a DuckDB warehouse: each table's rows replace the last build's, all in one
transaction, so a reader sees the old rows or the new ones, never a mix."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from cockpit.warehouse import marts, schema


def replace(target: str | Path, frames: dict[str, pd.DataFrame]) -> None:
    """Replace each table's rows with its frame (columns as `cockpit/warehouse/schema.yaml` lists them)."""
    con = duckdb.connect(str(target))
    try:
        marts.ensure(con, tuple(frames))  # a warehouse built before these tables existed gets them
        con.execute("begin")
        for table, frame in frames.items():
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
