"""The one way into the app's state: which database (COCKPIT_STATE), its engine, and its transactions.

The state is an embedded SQLite file by default, or a PostgreSQL database shared by several servers.
One engine per target and process; each call takes a connection for one transaction and gives it back,
so the state is safe from Streamlit's threads and from other processes. On SQLite the file is in WAL mode
(readers never block the one writer) and a write transaction takes the write lock when it begins
(`begin immediate`), so a read-then-write inside it cannot be overtaken by another writer. The file and
its WAL companions are readable by their owner only: they hold password hashes and session records.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

from cockpit.core import config
from cockpit.state import migrate

_ENGINES: dict[str, Engine] = {}
_READY: set[tuple[str, int]] = set()  # (url, inode of a SQLite file) whose schema this process checked
_LOCK = threading.Lock()


def _after_fork() -> None:
    """A forked child (report workers) must not use its parent's connections: SQLite and PostgreSQL both
    forbid it. It opens its own; the parent's stay the parent's."""
    global _LOCK
    _LOCK = threading.Lock()
    for eng in _ENGINES.values():
        eng.dispose(close=False)


os.register_at_fork(after_in_child=_after_fork)


def target() -> str:
    """COCKPIT_STATE as given, or the default SQLite file in the data folder."""
    return config.get("COCKPIT_STATE") or str(config.home() / "state.sqlite")


def sqlite_path(where: str | None = None) -> Path | None:
    """The state file when the state is SQLite (a path or a sqlite:/// URL), else None."""
    where = where or target()
    if where.startswith("sqlite:///"):
        return Path(where.removeprefix("sqlite:///"))
    return None if "://" in where else Path(where).expanduser()


def url(where: str | None = None) -> str:
    path = sqlite_path(where)
    return f"sqlite:///{path.resolve()}" if path is not None else (where or target())


def _sqlite_engine(address: str) -> Engine:
    # Pooled connections (a few ms saved on every run of every session); _ready drops them when the file is
    # replaced.
    eng = create_engine(address, connect_args={"timeout": 30})

    @event.listens_for(eng, "connect")
    def _on_connect(dbapi_con: Any, _record: Any) -> None:
        dbapi_con.isolation_level = None  # SQLAlchemy, not the driver, says when a transaction begins
        dbapi_con.execute("pragma journal_mode = wal")

    @event.listens_for(eng, "begin")
    def _on_begin(con: Connection) -> None:
        con.exec_driver_sql("begin immediate" if con.get_execution_options().get("write") else "begin")

    return eng


def engine(where: str | None = None) -> Engine:
    """The engine of a state target, made once per process."""
    address = url(where)
    with _LOCK:
        if address not in _ENGINES:
            _ENGINES[address] = (
                _sqlite_engine(address)
                if address.startswith("sqlite")
                else create_engine(address, pool_pre_ping=True)
            )
        return _ENGINES[address]


def private(*paths: Path) -> None:
    """Make files readable and writable by their owner only (mode 600), those that exist."""
    for p in paths:
        if p.exists():
            os.chmod(p, 0o600)


def _ready() -> Engine:
    """The engine of the current target, its schema created or upgraded once per process (and file)."""
    where = target()
    eng, path = engine(where), sqlite_path(where)
    key = (url(where), 0)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.touch(mode=0o600)
        key = (key[0], path.stat().st_ino)
    if key not in _READY:
        eng.dispose()  # connections to a file since replaced would read the old one
        with eng.connect().execution_options(write=True) as con, con.begin():
            migrate.upgrade(con)
        if path is not None:
            private(path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))
        _READY.add(key)
    return eng


@contextmanager
def write() -> Iterator[Connection]:
    """One write transaction: committed when the block ends, rolled back on an error."""
    with _ready().connect().execution_options(write=True) as con, con.begin():
        yield con


@contextmanager
def read() -> Iterator[Connection]:
    """One read transaction: a consistent view, without holding the write lock."""
    with _ready().connect() as con, con.begin():
        yield con
