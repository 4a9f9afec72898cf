"""A throwaway PostgreSQL cluster on 127.0.0.1 in a temporary folder (Debian's postgresql package; CI
installs it), for the tests that need a real server. If it cannot start, the test fails with the reason:
it never skips.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from cockpit.app.server import free_port

BIN = Path(os.environ.get("COCKPIT_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _as_postgres(*cmd: str) -> None:
    """Run a server binary as the postgres user when we are root (initdb refuses root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    proc = subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=60)
    if proc.returncode:
        pytest.fail(f"PostgreSQL command failed: {' '.join(cmd[:1])}: {proc.stderr.strip()[-500:]}")


@contextmanager
def cluster() -> Iterator[str]:
    """A running cluster with an empty database `cockpit`; yields its SQLAlchemy URL."""
    if not (BIN / "initdb").exists():
        pytest.fail(
            f"PostgreSQL server binaries not found in {BIN}: apt-get install -y postgresql (or "
            f"set COCKPIT_PG_BIN)"
        )
    root = Path(tempfile.mkdtemp(prefix="cockpit-pg-"))  # pytest's own folder is private to root
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port, data = free_port(), root / "data"
    init = ["-D", str(data), "--username=app", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]
    _as_postgres(str(BIN / "initdb"), *init)
    _as_postgres(
        str(BIN / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(root / "server.log"),
        "-w",
        "-t",
        "30",
        "-o",
        f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off",
        "start",
    )
    try:
        _as_postgres(str(BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "app", "cockpit")
        yield f"postgresql+psycopg://app@127.0.0.1:{port}/cockpit"
    finally:
        _as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(url: str) -> str:
    """A new empty database on the cluster of `url`; returns its URL."""
    name = "t_" + uuid.uuid4().hex[:12]
    eng = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as con:
            con.execute(sa.text(f"create database {name}"))
    finally:
        eng.dispose()
    return url.rsplit("/", 1)[0] + "/" + name
