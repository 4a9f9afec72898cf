"""Writes the stored guidance (mart_guidance, mart_insights; computed by cockpit/guidance/stored.py) into
a DuckDB warehouse: the rows of one build replace those of the last, in one transaction."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cockpit.warehouse import marts, stored_write

TABLES = marts.GUIDANCE_TABLES


def write(target: str | Path, runs: pd.DataFrame, rows: pd.DataFrame) -> None:
    """Replace the stored guidance with `runs` (mart_guidance rows) and `rows` (mart_insights rows)."""
    stored_write.replace(target, dict(zip(TABLES, (runs, rows))), [(f"delete from {t}", []) for t in TABLES])
