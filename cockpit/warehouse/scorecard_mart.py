"""Writes the stored scorecard points (mart_scorecard; scored by cockpit/domain/scorecard_store.py with the
scorecard's settings, which this layer does not know) into a DuckDB warehouse, in one transaction: all rows,
or those of the periods a one-day build scored again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from cockpit.warehouse import marts, stored_write

TABLE = marts.SCORECARD_TABLE


def ensure(target: str | Path) -> None:
    """Create the table on a warehouse built before it existed (the build's query reads it)."""
    stored_write.replace(target, {TABLE: pd.DataFrame()}, [])


def write(target: str | Path, rows: pd.DataFrame, periods: list[tuple[str, dt.date]] | None = None) -> None:
    """Replace the stored points with `rows`: all of them, or those of `periods` ((kind, start) pairs)."""
    deletes: list[tuple[str, list]] = (
        [(f"delete from {TABLE}", [])]
        if periods is None
        else [(f"delete from {TABLE} where period_type = ? and period_start = ?", [k, s]) for k, s in periods]
    )
    stored_write.replace(target, {TABLE: rows}, deletes)
