"""The app's own state (users, lockouts, audit log), in SQLite in the data folder.

Kept apart from the warehouse, which may be read-only or remote. One short-lived connection
per call, so it is safe from Streamlit's threads and from several processes.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from cockpit import config

DDL = """
create table if not exists users (
  username text primary key,
  name text not null,
  role text not null,
  org_ids text not null,
  password_hash text not null,
  failed_attempts integer not null default 0,
  locked_until text
);
create table if not exists audit_log (
  id integer primary key autoincrement,
  at text not null,
  username text not null,
  action text not null,
  detail text not null
);
"""


def db_path() -> Path:
    return config.home() / "state.sqlite"


@contextmanager
def connect() -> Iterator[sqlite3.Connection]:
    """A connection with the tables created; commits on success, rolls back on error."""
    con = sqlite3.connect(db_path(), timeout=10)
    con.row_factory = sqlite3.Row
    try:
        con.executescript(DDL)
        yield con
        con.commit()
    except Exception:
        con.rollback()
        raise
    finally:
        con.close()


def audit(username: str, action: str, **detail: Any) -> None:
    """Record who did what, when (reports, downloads, logins, admin changes)."""
    with connect() as con:
        con.execute("insert into audit_log (at, username, action, detail) values (?, ?, ?, ?)",
                    (dt.datetime.now().isoformat(timespec="seconds"), username, action,
                     json.dumps(detail, ensure_ascii=False, default=str)))


def audit_entries(limit: int = 500) -> list[dict[str, Any]]:
    with connect() as con:
        rows = con.execute("select at, username, action, detail from audit_log order by id desc limit ?", (limit,))
        return [dict(r) for r in rows]
