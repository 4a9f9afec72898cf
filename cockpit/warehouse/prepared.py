"""Prepared answers (`mart_prepared`): what a page shows first, computed by `cockpit build`.

Some figures are lists or spreads over a node's detail rows (the SICAS drop-off list, the action list's first
customers, the channels page's service, linkage, attribution and WeCom sections) that no small stored table
holds. At the head office of a large bank each takes from a fifth of a second to several seconds. A query
declared `-- prepared:` is run by the build itself for the head office and every branch, over the current
month, quarter and year (or the last day, for a query taking `as_of`), with the parameter values its header
lists. The answer is kept as it is: its rows, in Arrow's stream format, under the query's name, the node and
its bound parameters. `Warehouse.run` gives a kept answer when the parameters are exactly those; any other
node, window or value is computed as before.

A kept answer is the same for every user who may see the node and asks with those parameters: a prepared
query that reads only the node's subtree is kept once; one that also reads the reader's scope (`scope_orgs`:
the staff attribution names only staff the reader may see) is kept per scope, for the whole tree and for each
branch on its own (an executive's and a branch head's), and other scopes compute. The layer checks the
reader's right to the node before it looks.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
import pyarrow as pa

from cockpit.warehouse import arrow_read

TABLE = "mart_prepared"
LEVEL = 1  # nodes prepared: the head office and the branches, whose subtrees are too large to read per view
SCOPE_KEY = "~scope"  # not a parameter name (those are identifiers)
READ_SQL = f"select payload from {TABLE} where query_name = :q and org_id = :org and params = :p"


def key(bound: dict[str, Any], scope: tuple[str, ...] | None = None) -> str:
    """The bound parameters (and the reader's own nodes, for a query kept per scope) as one string: the same
    values give the same key."""
    values = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in bound.items()}
    if scope is not None:
        values[SCOPE_KEY] = list(scope)
    return json.dumps(values, sort_keys=True, ensure_ascii=False)


def encode(df: pd.DataFrame) -> bytes:
    """A query's rows in Arrow's stream format (types kept, nothing executable)."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def decode(payload: Any) -> pd.DataFrame:
    """The frame `encode` was given, as a warehouse read gives it (see cockpit/warehouse/arrow_read.py)."""
    table = pa.ipc.open_stream(pa.py_buffer(bytes(payload))).read_all()
    return arrow_read.as_read_sql(table)
