"""Targets as data: export to Excel and import from Excel, validated, all or nothing.

Banks hand targets out as spreadsheets: one row per org node, metric and period. An import is
checked in full before anything is written: an unknown org or metric, a bad period, a negative or
non-numeric target and a duplicate row are each reported with their Excel row number, and if
there is any error nothing is applied. Valid rows replace the targets with the same
(org, metric, period type, period start) in one transaction.

The cockpit reads the warehouse read-only; writing targets needs a DuckDB file warehouse, opened
writable only for the import. Other warehouses load targets through their own pipelines.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pandas as pd

from cockpit.core.periods import KINDS, Period
from cockpit.domain import metrics

COLUMNS = ("org_id", "metric", "period_type", "period_start", "target_value")
FIRST_ROW = 2  # Excel row of the first data row (row 1 holds the headers)


class TargetImportError(ValueError):
    """The file cannot be imported; `errors` lists each problem with its Excel row number."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
        super().__init__("nothing was imported: " + "; ".join(errors[:10]) + more)


def export_excel(targets: pd.DataFrame) -> bytes:
    """An .xlsx workbook of targets (the `target_list` columns), re-importable as it is."""
    out = io.BytesIO()
    frame = targets.copy()
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    with pd.ExcelWriter(out, engine="xlsxwriter") as xl:
        frame.to_excel(xl, sheet_name="targets", index=False)
    return out.getvalue()


def read_excel(source: str | Path | IO[bytes] | bytes) -> pd.DataFrame:
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        return pd.read_excel(source, sheet_name=0, dtype=object)
    except Exception as e:  # not an Excel file, unreadable
        raise TargetImportError([f"the file is not a readable Excel workbook ({type(e).__name__})"]) from None


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def _number(value: object) -> float | None:
    try:
        x = float(str(value).replace(",", "").strip())
    except ValueError:
        return None
    return None if math.isnan(x) or math.isinf(x) else x


@dataclass(frozen=True)
class Checked:
    rows: pd.DataFrame  # the valid rows, in COLUMNS
    errors: list[str]


def validate(frame: pd.DataFrame, known_orgs: set[str]) -> Checked:
    """Check every row; collect every problem with its Excel row number."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        return Checked(
            pd.DataFrame(columns=COLUMNS),
            [f"row 1: missing column(s) {', '.join(missing)} (expected {', '.join(COLUMNS)})"],
        )
    errors: list[str] = []
    rows: list[dict] = []
    seen: dict[tuple, int] = {}
    for i, rec in enumerate(frame[list(COLUMNS)].itertuples(index=False)):
        n = i + FIRST_ROW
        org, metric, kind = (
            str(rec.org_id).strip(),
            str(rec.metric).strip(),
            str(rec.period_type).strip().lower(),
        )
        start, value = _date(rec.period_start), _number(rec.target_value)
        problems = []
        if org not in known_orgs:
            problems.append(f"unknown org '{org[:40]}'")
        if metric not in metrics.ids():
            problems.append(f"unknown metric '{metric[:40]}'")
        if kind not in KINDS:
            problems.append(f"period_type must be one of {', '.join(KINDS)}, got '{kind[:20]}'")
        elif start is None:
            problems.append(f"period_start is not a date: '{str(rec.period_start)[:20]}'")
        elif Period.containing(kind, start, start).start != start:
            problems.append(f"period_start {start} is not the first day of a {kind}")
        if value is None:
            problems.append(f"target_value is not a number: '{str(rec.target_value)[:20]}'")
        elif value < 0:
            problems.append(f"negative target {value:g}")
        elif metric in metrics.ids() and metrics.get(metric).unit == "count" and value != round(value):
            problems.append(f"{metric} counts whole customers or actions: {value:g} is not a whole number")
        key = (org, metric, kind, start)
        if key in seen:
            problems.append(f"duplicate of row {seen[key]}")
        else:
            seen[key] = n
        if problems:
            errors.append(f"row {n}: " + "; ".join(problems))
        else:
            rows.append(
                {
                    "org_id": org,
                    "metric": metric,
                    "period_type": kind,
                    "period_start": start,
                    "target_value": value,
                }
            )
    return Checked(pd.DataFrame(rows, columns=COLUMNS), errors)


class WarehouseNotWritable(RuntimeError):
    """Targets cannot be written to this warehouse; the message says what to do."""


def apply(target: str, rows: pd.DataFrame) -> int:
    """Replace the targets of these keys in a DuckDB file warehouse, in one
    transaction. Returns rows written.
    """
    import duckdb

    from cockpit.warehouse.layer import open_warehouse

    if "://" in target and not target.startswith("duckdb:///"):
        raise WarehouseNotWritable(
            "targets can be imported only into a DuckDB file warehouse; load them into "
            "this warehouse's `targets` table with its own pipeline"
        )
    path = Path(target.removeprefix("duckdb:///"))
    if not path.exists():
        raise WarehouseNotWritable(f"no warehouse at {path}")
    open_warehouse(
        target
    ).engine.dispose()  # this process's read-only connections must close before a writer opens
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as e:
        raise WarehouseNotWritable(
            f"the warehouse {path} cannot be opened for writing "
            f"(another process, such as a running cockpit, may hold it): {str(e).splitlines()[0][:160]}"
        ) from None
    try:
        con.execute("begin")
        con.register("incoming", rows)
        con.execute("""delete from targets t using incoming i
                       where t.org_id = i.org_id and t.metric = i.metric and t.period_type = i.period_type
                         and t.period_start = cast(i.period_start as date)""")
        con.execute("""insert into targets select org_id, metric, period_type, cast(period_start as date),
          target_value
                       from incoming""")
        con.execute("commit")
    except duckdb.Error:
        con.execute("rollback")
        raise
    finally:
        con.close()
    return len(rows)


def import_excel(source: str | Path | IO[bytes] | bytes, target: str, known_orgs: set[str]) -> int:
    """Read, validate and apply a targets workbook; raise TargetImportError
    (nothing applied) on any problem.
    """
    checked = validate(read_excel(source), known_orgs)
    if checked.errors:
        raise TargetImportError(checked.errors)
    if checked.rows.empty:
        raise TargetImportError(["the workbook has no target rows"])
    return apply(target, checked.rows)


def command(
    action: str, file: str, target: str, username: str, period_type: str = "all", year: int = 0
) -> str:
    """`cockpit targets export|import FILE`: export the user's targets, or import (admins only). Returns the
    summary line.
    """
    from cockpit.state import auth
    from cockpit.warehouse.layer import open_warehouse

    user = auth.get_user(username)
    wh = open_warehouse(target)
    if action == "export":
        frame = wh.run("target_list", user.scope, {"period_type": period_type, "year": year})
        Path(file).write_bytes(export_excel(frame))
        return f"{len(frame):,} targets written to {file}"
    if user.role != "admin":
        raise TargetImportError([f"only an admin may import targets ('{username}' is {user.role})"])
    n = import_excel(Path(file), target, wh.visible_orgs(user.scope))
    from cockpit.state import appstate

    appstate.audit(username, "targets_imported", file=Path(file).name, rows=n)
    return f"{n:,} targets imported from {file}"
