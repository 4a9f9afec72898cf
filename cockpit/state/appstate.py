"""The app's own state (users, sign-in back-off, audit log, flags), kept apart from the warehouse.

The warehouse may be read-only or remote; the state is written by every sign-in. Where it lives and how a
transaction is taken is cockpit/state/db.py's business; the tables are in cockpit/state/tables.py.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from cockpit.state import db
from cockpit.state.tables import audit_log, flags

private = db.private


@contextmanager
def connect() -> Iterator[Connection]:
    """A write transaction on the state: commits on success, rolls back on error."""
    with db.write() as con:
        yield con


def now() -> str:
    """The time as the state stores it (ISO text to the second)."""
    return dt.datetime.now().isoformat(timespec="seconds")


def insert_ignore(con: Connection, table: Any, **values: Any) -> None:
    """Insert a row unless its key exists (`on conflict do nothing`, in the dialect of the state)."""
    dialect = postgresql if con.dialect.name == "postgresql" else sqlite
    con.execute(dialect.insert(table).values(**values).on_conflict_do_nothing())


def audit(username: str, action: str, **detail: Any) -> None:
    """Record who did what, when (reports, downloads, logins, admin changes)."""
    with db.write() as con:
        con.execute(
            audit_log.insert().values(
                at=now(),
                username=username,
                action=action,
                detail=json.dumps(detail, ensure_ascii=False, default=str),
            )
        )


def flag(name: str) -> bool:
    """Whether a one-time step (such as creating the demo users) has been done in this data folder."""
    with db.read() as con:
        return con.execute(select(flags.c.name).where(flags.c.name == name)).first() is not None


def set_flag(name: str) -> None:
    with db.write() as con:
        insert_ignore(con, flags, name=name, set_at=now())


def audit_entries(limit: int = 500) -> list[dict[str, Any]]:
    with db.read() as con:
        rows = con.execute(
            select(audit_log.c.at, audit_log.c.username, audit_log.c.action, audit_log.c.detail)
            .order_by(audit_log.c.id.desc())
            .limit(limit)
        )
        return [dict(r._mapping) for r in rows]
