"""Small DuckDB helpers for the code that writes warehouses (marts, seeding, Spark copies, the benchmark)."""

from __future__ import annotations

from typing import Any

import duckdb


def one_row(con: duckdb.DuckDBPyConnection | Any, sql: str, params: Any = None) -> tuple[Any, ...]:
    """The single row an aggregate statement returns (count, min/max): always one, so never None.

    `con` is a DuckDB connection or anything with the same execute/fetchone (the Spark connection).
    """
    row = con.execute(sql, params).fetchone() if params is not None else con.execute(sql).fetchone()
    if row is None:
        raise RuntimeError(f"no row from {sql[:60]!r}")
    return row
