"""Reading a DuckDB query's rows through Arrow instead of row by row.

`pd.read_sql` turns every value into a Python object on the way through the DB-API cursor: at a bank of a
hundred million events that is most of a page's time for the org tree (19,411 rows: 112 ms against 12 ms),
and minutes for the daily series the stored guidance reads. DuckDB hands the result over as Arrow columns;
they are converted to the frame `pd.read_sql` would give (64-bit integers, decimals as floats, dates as
`datetime.date`, empty results as object columns), so callers see the same values either way.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

# DuckDB's `sql` finds a query's parameter markers by tokenizing its text, about a millisecond a kilobyte
# (70 to 170 ms for the scorecard's 24 KB query at size l); `execute` binds them in the engine but hands Arrow
# a copy of the rows (and warns so). Above this many characters the copy of a few hundred rows is cheaper.
LONG_SQL = 8_000
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning)


def frame(conn: sa.Connection, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """The rows of `sql` with `params` bound (`:name` marks, compiled by SQLAlchemy as for `pd.read_sql`),
    read from the DuckDB connection underneath `conn` as Arrow. DuckDB's own errors are raised as they are."""
    compiled = sa.text(sql).compile(dialect=conn.dialect)
    names = compiled.positiontup or []
    raw = conn.connection.dbapi_connection
    if raw is None:  # a closed connection: let the driver say so
        raise sa.exc.ResourceClosedError("The warehouse connection is closed")
    values = [params[n] for n in names]
    if len(compiled.string) > LONG_SQL:  # a prepared statement: `sql` would first scan the text for markers
        table = raw.execute(compiled.string, values).to_arrow_table()
    else:  # a relation: no copy of the rows on the way to Arrow
        table = raw.sql(compiled.string, params=values).to_arrow_table()
    return as_read_sql(table)


def as_read_sql(table: pa.Table) -> pd.DataFrame:
    """The frame `pd.read_sql` gives for these rows."""
    if table.num_rows == 0:
        return pd.DataFrame({name: pd.Series([], dtype=object) for name in table.column_names})
    columns = {}
    for name, col in zip(table.column_names, table.columns):
        kind = col.type
        if col.null_count == len(col):  # no value to tell a type by: None, as the cursor gives
            columns[name] = pd.Series([None] * len(col), dtype=object)
            continue
        if pa.types.is_integer(kind):
            col = col.cast(pa.int64())
        elif pa.types.is_decimal(kind):  # a sum of integers is a 128-bit integer: whole numbers stay whole
            try:
                col = col.cast(pa.int64() if kind.scale == 0 else pa.float64())
            except pa.ArrowInvalid:
                col = col.cast(pa.float64(), safe=False)
        elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
            columns[name] = pd.Series(col.to_pylist(), dtype=object)  # Python values, as the cursor gives
            continue
        columns[name] = col.to_pandas()
    return pd.DataFrame(columns)
