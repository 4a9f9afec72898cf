"""`cockpit bench --size xs` runs end to end and prints its tables (figures are printed, never asserted)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # eight real servers, one of them timed in Chromium: minutes, so not in the quick suite
def test_bench_runs_at_size_xs_and_prints_its_tables(tmp_path):
    env = dict(os.environ, COCKPIT_HOME=str(tmp_path))
    env.pop("COCKPIT_WAREHOUSE", None)
    proc = subprocess.run(
        [sys.executable, "-m", "cockpit.ops.cli", "bench", "--size", "xs", "--sessions", "2"]
        + ["--browser-loads", "1"],
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

    roles = ("executive", "branch_head")
    for path in {s.url_path for role in roles for s in navigation.pages_for(role)}:
        hits = [l for l in out.splitlines() if l.startswith(f"| {path} ")]
        rows = ([c.strip() for c in l.split("|")[1:-1]] for l in hits)
        cells = [c for c in rows if len(c) == 8]  # the page tables' rows (the load test's have other columns)
        # once per role that has the page; status ok, and whether it is within its goal said
        assert len(cells) == sum(path in {s.url_path for s in navigation.pages_for(r)} for r in roles), path
        assert all(c[6] == "ok" and c[7] in ("yes", "no") for c in cells), cells
        # and in Chromium, as each role that has it: its charts counted, both ways timed, the goal said
        rows = ([c.strip() for c in l.split("|")[1:-1]] for l in hits)
        drawn = [c for c in rows if len(c) == 5 and c[4] in ("yes", "no")]  # (the load test's have no goal)
        assert len(drawn) == len(cells), (path, drawn)
        timed = (float(c[2].replace(",", "")) > 0 and float(c[3].replace(",", "")) > 0 for c in drawn)
        assert all(timed) and all(c[1].isdigit() for c in drawn), drawn
    for way in ("marts", "raw DuckDB", "pandas"):
        line = next(l for l in out.splitlines() if l.startswith(f"| {way} "))
        assert line.rstrip().endswith("yes |"), line  # the three ways give the same figures
    lines = out.splitlines()
    waves = [l.split("|") for l in lines if l.startswith(("| 1 ", "| 2 "))]
    # sessions, views, errors, script runs per view: each session opened the five pages, one run each
    assert [[c.strip() for c in w[1:5]] for w in waves] == [["1", "5", "0", "1.00"], ["2", "10", "0", "1.00"]]
    assert "error:" not in out, out[-1500:]
    totals = [int(l.split("|")[2]) for l in lines if l.startswith("| all pages ")]
    assert totals == [1 * 5, 2 * 5]
    assert "what limits it:" in out and "N servers" in out
    starts = {l.split("|")[1].strip(): l.split("|") for l in lines if l.startswith(("| cockpit", "| plain"))}
    assert set(starts) == {
        "cockpit (warm start, gc.freeze, no post-run collection)",
        "plain streamlit run",
        "cockpit with the post-run gc.collect",
    }
