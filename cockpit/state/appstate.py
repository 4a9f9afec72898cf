"""The app's own state (users, sign-in back-off, audit log, flags), in SQLite in the data folder.

Kept apart from the warehouse, which may be read-only or remote. One short-lived connection
per call, so it is safe from Streamlit's threads and from several processes. The file (and its WAL
companions) is readable by its owner only: it holds password hashes and session records.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cockpit.core import config

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
create table if not exists sign_in_failures (
  username text not null,
  source text not null,
  failures integer not null,
  locked_until text,
  primary key (username, source)
);
create table if not exists flags (
  name text primary key,
  set_at text not null
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


_READY: set[tuple[str, int, str]] = set()  # (state file, its inode, tables) this process has created


def _prepare(con: sqlite3.Connection, path: Path, ddl: str) -> None:
    """Create tables once per file and process, in WAL mode: readers then never block the one writer, so
    many sessions signing in at once wait their turn instead of failing with 'database is locked'."""
    key = (str(path), path.stat().st_ino, ddl)
    if key not in _READY:
        con.execute("pragma journal_mode = wal")
        con.executescript(ddl)
        private(path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))
        _READY.add(key)


def private(*paths: Path) -> None:
    """Make files readable and writable by their owner only (mode 600), those that exist."""
    for p in paths:
        if p.exists():
            os.chmod(p, 0o600)


@contextmanager
def connect(ddl: str = DDL) -> Iterator[sqlite3.Connection]:
    """A connection with the tables of `ddl` created (the app's own, or a module's: actions, subscriptions);
    commits on success, rolls back on error."""
    path = db_path()
    if not path.exists():
        path.touch(mode=0o600)
    con = sqlite3.connect(path, timeout=30)
    con.row_factory = sqlite3.Row
    try:
        _prepare(con, path, DDL)
        if ddl != DDL:
            _prepare(con, path, ddl)
        yield con
    except Exception:
        con.rollback()
        raise
    else:
        con.commit()
    finally:
        con.close()


def audit(username: str, action: str, **detail: Any) -> None:
    """Record who did what, when (reports, downloads, logins, admin changes)."""
    with connect() as con:
        con.execute(
            "insert into audit_log (at, username, action, detail) values (?, ?, ?, ?)",
            (
                dt.datetime.now().isoformat(timespec="seconds"),
                username,
                action,
                json.dumps(detail, ensure_ascii=False, default=str),
            ),
        )


def flag(name: str) -> bool:
    """Whether a one-time step (such as creating the demo users) has been done in this data folder."""
    with connect() as con:
        return con.execute("select 1 from flags where name = ?", (name,)).fetchone() is not None


def set_flag(name: str) -> None:
    with connect() as con:
        con.execute(
            "insert or ignore into flags (name, set_at) values (?, ?)",
            (name, dt.datetime.now().isoformat(timespec="seconds")),
        )


def audit_entries(limit: int = 500) -> list[dict[str, Any]]:
    with connect() as con:
        rows = con.execute(
            "select at, username, action, detail from audit_log order by id desc limit ?", (limit,)
        )
        return [dict(r) for r in rows]
