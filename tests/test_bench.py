"""`cockpit bench --size xs` runs end to end and prints its tables (figures are printed, never asserted)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.browser  # its load test drives Chromium tabs
def test_bench_runs_at_size_xs_and_prints_its_tables(tmp_path):
    env = dict(os.environ, COCKPIT_HOME=str(tmp_path))
    env.pop("COCKPIT_WAREHOUSE", None)
    proc = subprocess.run(
        [sys.executable, "-m", "cockpit.ops.cli", "bench", "--size", "xs", "--sessions", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert "machine:" in out and "events/s generated" in out and "cockpit build --day" in out
    from cockpit.app import navigation

    for spec in navigation.pages_for("executive"):
        line = next(l for l in out.splitlines() if l.startswith(f"| {spec.url_path} "))
        assert line.rstrip().endswith("ok |"), line
    for way in ("marts", "raw DuckDB", "pandas"):
        line = next(l for l in out.splitlines() if l.startswith(f"| {way} "))
        assert line.rstrip().endswith("yes |"), line  # the three ways give the same figures
    load = [l for l in out.splitlines() if "simultaneous browser sessions" in l]
    assert load and all("0 error(s)" in l for l in load), load or out[-1500:]
    totals = [int(l.split("|")[2]) for l in out.splitlines() if l.startswith("| all pages ")]
    assert totals == [1 * 5, 2 * 5]  # one session alone, then two at once, opened the five pages each
