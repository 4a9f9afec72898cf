"""Copy the whole app state to another database: a single server's SQLite file to the PostgreSQL that
several servers will share, with every user, session, audit entry, action and subscription as it was.

The target must hold no state yet (so nothing is merged or overwritten); ids are kept, and PostgreSQL's
id sequences are moved past them so new rows do not collide. One transaction on the target: a failure
leaves it empty.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, func, select, text

from cockpit.state import db, migrate, tables

BATCH = 5000


class CopyError(RuntimeError):
    """The copy was refused (the target already holds state); the message says why."""


def copy_state(to: str, source: str | None = None) -> dict[str, int]:
    """Copy every state table from `source` (default: COCKPIT_STATE) to `to`; returns the rows per table."""
    source = source or db.target()
    path = db.sqlite_path(source)
    if path is not None and not path.exists():
        raise CopyError(f"there is no state file at {path}")
    if db.url(source) == db.url(to):
        raise CopyError("the source and the target are the same state")
    counts: dict[str, int] = {}
    with db.engine(source).connect() as src, src.begin():
        migrate.upgrade(src)
        with db.engine(to).connect().execution_options(write=True) as dst, dst.begin():
            migrate.upgrade(dst)
            for table in tables.metadata.sorted_tables:  # parents before the rows that refer to them
                if table is tables.state_schema:
                    continue
                if dst.execute(select(func.count()).select_from(table)).scalar_one():
                    raise CopyError(
                        f"{to.split('@')[-1]} already holds {table.name}: copy into an empty state"
                    )
                counts[table.name] = 0
                result = src.execute(select(table))
                while batch := result.mappings().fetchmany(BATCH):
                    dst.execute(table.insert(), [dict(r) for r in batch])
                    counts[table.name] += len(batch)
                if dst.dialect.name == "postgresql" and "id" in table.c:
                    dst.execute(
                        text(f"select setval(pg_get_serial_sequence('{table.name}', 'id'), :n, :used)"),
                        {"n": max(_max_id(dst, table), 1), "used": counts[table.name] > 0},
                    )
    return counts


def _max_id(con: Connection, table: Table) -> int:
    return int(con.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())
