"""An import killed with SIGKILL at any phase leaves the warehouse exactly as it was before, or fully loaded:
never new rows with empty marts. Each import runs in its own process, is killed at a phase (or after a
delay), and the warehouse is reopened and compared table by table with the two possible states."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from cockpit.warehouse import schema
from seed.ingest import importer

DATA = Path(__file__).parent / "fixtures" / "uci_bank_marketing"
BANK = DATA / "bank.csv"
ADDITIONAL = DATA / "bank-additional.csv"
ROOT = Path(__file__).resolve().parents[1]

# The child imports bank-additional.csv over a warehouse holding bank.csv; when its progress reaches the
# phase named in argv[2] it says so and waits to be killed (a phase of "-" runs to the end).
CHILD = textwrap.dedent("""
    import sys, time
    from seed.ingest import importer
    target, stop = sys.argv[1], sys.argv[2]
    def progress(step, fraction):
        print(step, flush=True)
        if step == stop:
            time.sleep(120)
    importer.import_file(sys.argv[3], "uci_bank_additional", target, progress=progress)
    print("finished", flush=True)
""")


def state(path: Path) -> dict[str, tuple[int, int]]:
    """Rows and an order-independent checksum of every table (warehouse_info without its build time)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for t in schema.tables():
            cols = "source, size, seed, as_of" if t == "warehouse_info" else "*"
            out[t] = tuple(
                con.execute(
                    f"select count(*), coalesce(sum(hash(x)), 0) from (select {cols} from {t}) x"
                ).fetchall()[0]
            )
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def states(tmp_path_factory) -> tuple[Path, dict, dict]:
    """A warehouse holding bank.csv, its state, and the state after bank-additional.csv replaces it."""
    d = tmp_path_factory.mktemp("crash")
    base = d / "base.duckdb"
    importer.import_file(BANK, "uci_bank_marketing", base, rules={"year_rule": "latest"})
    done = d / "done.duckdb"
    shutil.copy(base, done)
    importer.import_file(ADDITIONAL, "uci_bank_additional", done)
    before, after = state(base), state(done)
    assert before != after and after["mart_org_day"][0] > 0
    return base, before, after


def child(target: Path, stop: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(target), stop, str(ADDITIONAL)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


@pytest.mark.parametrize(
    "phase, survives",
    [("validating", False), ("writing", False), ("marts", False), ("commit", False), ("checkpoint", True)],
)
def test_a_kill_at_each_phase_leaves_the_warehouse_before_or_fully_loaded(states, tmp_path, phase, survives):
    base, before, after = states
    target = tmp_path / "w.duckdb"
    shutil.copy(base, target)
    proc = child(target, phase)
    seen = []
    for line in proc.stdout:
        seen.append(line.strip())
        if line.strip() == phase:
            break
    assert seen[-1] == phase, seen
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # reopened: the rows of an uncommitted import are gone; a committed one is all there, marts included
    assert state(target) == (after if survives else before)


@pytest.mark.parametrize("delay", [0.5, 1.5, 2.5, 3.5])
def test_a_kill_at_any_moment_leaves_the_warehouse_before_or_fully_loaded(states, tmp_path, delay):
    base, before, after = states
    target = tmp_path / "w.duckdb"
    shutil.copy(base, target)
    proc = child(target, "-")
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert state(target) in (before, after)


def test_a_reimport_repairs_marts_that_an_older_crash_left_empty(states, tmp_path):
    base, before, _ = states
    target = tmp_path / "w.duckdb"
    shutil.copy(base, target)
    con = duckdb.connect(str(target))
    con.execute("delete from mart_org_day")
    con.execute("delete from mart_org_period")
    con.close()
    result = importer.import_file(BANK, "uci_bank_marketing", target, rules={"year_rule": "latest"})
    assert result.changed
    assert state(target) == before


@pytest.mark.parametrize("phase", ["writing", "marts", "commit"])
def test_a_first_import_killed_before_its_commit_leaves_no_table_behind(tmp_path, phase):
    target = tmp_path / "new.duckdb"
    proc = child(target, phase)
    for line in proc.stdout:
        if line.strip() == phase:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    if target.exists():
        con = duckdb.connect(str(target), read_only=True)
        tables = con.execute("select table_name from information_schema.tables where table_schema = 'main'")
        assert tables.fetchall() == []
        con.close()
    # and the same file then imports in full
    result = importer.import_file(ADDITIONAL, "uci_bank_additional", target)
    assert result.changed and result.rows["mart_org_day"] > 0
