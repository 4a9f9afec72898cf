"""Replacing stored rows computed above the warehouse layer (the guidance, the scorecard points) in a
DuckDB warehouse: old rows out and new rows in, in one transaction, so a reader sees one build's rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from cockpit.warehouse import marts, schema


def replace(
    target: str | Path, frames: dict[str, pd.DataFrame], deletes: list[tuple[str, list[Any]]]
) -> None:
    """Run `deletes` (statements written by the project, with their arguments), then insert each frame into
    its table (created first on a warehouse built before it existed)."""
    con = duckdb.connect(str(target))
    try:
        marts.ensure(con, tuple(frames))
        con.execute("begin")
        for sql, args in deletes:
            con.execute(sql, args)
        for table, frame in frames.items():
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
