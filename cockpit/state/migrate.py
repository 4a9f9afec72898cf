"""Create the app's state schema and move an older one to the current version, in place.

Version 1 is the schema of the first release (tables created by each module, no version table); every
later version is one ordered step below. A step is idempotent (it looks before it alters), because a
table that did not exist yet is created whole by `create_all` before the steps run. The whole upgrade is
one transaction, under a lock on PostgreSQL so two servers starting at once do not both migrate.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, inspect, select, text

from cockpit.state import tables


def _add_column(con: Connection, table: str, column: str, ddl_type: str = "text") -> None:
    if column not in {c["name"] for c in inspect(con).get_columns(table)}:
        con.execute(text(f"alter table {table} add column {column} {ddl_type}"))


def _delivery_claims(con: Connection) -> None:
    """Subscriptions carry who is delivering them and since when (one sender among several runs)."""
    _add_column(con, "subscriptions", "claimed_by")
    _add_column(con, "subscriptions", "claimed_at")


STEPS: tuple[tuple[int, Callable[[Connection], None]], ...] = ((2, _delivery_claims),)
LATEST = max(v for v, _ in STEPS)
LOCK_KEY = 7_310_017  # the PostgreSQL advisory lock the upgrade holds


def version(con: Connection) -> int:
    """The schema version stored: 0 for an empty database, 1 for the first release's tables."""
    names = set(inspect(con).get_table_names())
    if tables.state_schema.name in names:
        return int(con.execute(select(tables.state_schema.c.version)).scalar() or 0)
    return 1 if names & set(tables.metadata.tables) else 0


def upgrade(con: Connection) -> int:
    """Bring the schema to LATEST inside the caller's transaction; returns the version found before."""
    if con.dialect.name == "postgresql":
        con.execute(text("select pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    found = version(con)
    if found >= LATEST:
        return found
    tables.metadata.create_all(con, checkfirst=True)
    for step, run in STEPS:
        if step > found:
            run(con)
    con.execute(tables.state_schema.delete())
    con.execute(tables.state_schema.insert().values(version=LATEST))
    return found
