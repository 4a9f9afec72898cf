"""Marts equal an independent computation from the detail tables, after a full and an incremental build."""

import datetime as dt
import shutil

import duckdb
import pandas as pd
import pytest

from cockpit.warehouse import marts


def _events(con) -> pd.DataFrame:
    ev = con.execute("select event_date, org_id, stage, customer_id, amount, fee_income from events").df()
    ev["event_date"] = pd.to_datetime(ev.event_date)
    return ev


def _expected_day(con) -> pd.DataFrame:
    """Events per day x sub-branch x stage, rolled up in pandas from the org paths."""
    ev = _events(con)
    orgs = con.execute("select org_id, level, path from orgs").df().set_index("org_id")
    chain = orgs.path.str.strip("/").str.split("/")
    node = {o: c[min(orgs.level[o], marts.MART_LEVEL)] for o, c in chain.items()}
    ev["org_id"] = ev.org_id.map(node)
    out = (
        ev.groupby(["event_date", "org_id", "stage"])
        .agg(events=("stage", "size"), amount=("amount", "sum"), fee_income=("fee_income", "sum"))
        .reset_index()
    )
    return out.sort_values(["event_date", "org_id", "stage"]).reset_index(drop=True)


def _actual_day(con) -> pd.DataFrame:
    df = con.execute(
        "select event_date, org_id, stage, events, amount, fee_income from mart_org_day "
        "order by event_date, org_id, stage"
    ).df()
    df["event_date"] = pd.to_datetime(df.event_date)
    return df


def _expected_period(con, kind: str, start: dt.date, org_id: str) -> dict[str, int]:
    ev = _events(con).dropna(subset=["customer_id"])
    end = pd.Timestamp(start) + pd.offsets.DateOffset(months={"month": 1, "quarter": 3, "year": 12}[kind])
    sub = con.execute("select path from orgs where org_id = ?", [org_id]).fetchone()[0]
    paths = con.execute("select org_id, path from orgs").df()
    below = set(paths[paths.path.str.startswith(sub)].org_id)
    ev = ev[(ev.event_date >= pd.Timestamp(start)) & (ev.event_date < end) & ev.org_id.isin(below)]
    out = ev.groupby("stage").customer_id.nunique().to_dict()
    out["*"] = ev.customer_id.nunique()
    return {k: v for k, v in out.items() if v}


def _actual_period(con, kind: str, start: dt.date, org_id: str) -> dict[str, int]:
    rows = con.execute(
        "select stage, customers from mart_org_period where period_type = ? and period_start = ? "
        "and org_id = ?",
        [kind, start, org_id],
    ).fetchall()
    return dict(rows)


CASES = [
    ("month", dt.date(2026, 10, 1), "HO"),
    ("month", dt.date(2026, 10, 1), "R01B01"),
    ("month", dt.date(2026, 11, 1), "R01"),
    ("quarter", dt.date(2026, 7, 1), "R01B02"),
    ("quarter", dt.date(2026, 10, 1), "R02"),
    ("year", dt.date(2025, 1, 1), "R01B01T1"),
    ("year", dt.date(2026, 1, 1), "HO"),
]


def _check(con) -> None:
    exp, act = _expected_day(con), _actual_day(con)
    pd.testing.assert_frame_equal(
        act[["event_date", "org_id", "stage", "events"]],
        exp[["event_date", "org_id", "stage", "events"]],
        check_dtype=False,
    )
    assert act.amount.to_numpy() == pytest.approx(exp.amount.to_numpy(), abs=0.011)
    assert act.fee_income.to_numpy() == pytest.approx(exp.fee_income.to_numpy(), abs=0.011)
    for kind, start, org in CASES:
        assert _actual_period(con, kind, start, org) == _expected_period(con, kind, start, org), (
            kind,
            start,
            org,
        )
    through = con.execute("select max(through_date) from mart_periods").fetchone()[0]
    assert through == con.execute("select max(event_date) from events").fetchone()[0]


@pytest.fixture
def copy(bank, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(bank / "warehouse.duckdb", path)
    con = duckdb.connect(str(path))
    yield con
    con.close()


def test_full_build_equals_the_detail(copy):
    marts.build(copy)
    _check(copy)


def test_one_new_day_equals_a_full_build(copy):
    last = copy.execute("select max(event_date) from events").fetchone()[0]
    copy.execute("create temp table held as select * from events where event_date = ?", [last])
    copy.execute("delete from events where event_date = ?", [last])
    marts.build(copy)
    before = copy.execute("select count(*) from mart_org_day").fetchone()[0]
    copy.execute("insert into events select * from held")
    stats = marts.build(copy, last)
    assert stats["mart_org_day"] > before
    _check(copy)


def test_customers_seen_at_two_nodes_are_counted_once_above_them(copy):
    """A customer who moved between two teams in a month is one customer for the sub-branch above both."""
    row = copy.execute("""select customer_id, org_id, event_date from events
                          where customer_id is not null and org_id like 'R01B01T1%' and event_date >= date
                          '2026-10-01'
                          order by event_id limit 1""").fetchone()
    copy.execute(
        """insert into events select event_id + 10000000, event_date, event_ts, customer_id, 'R01B01T2',
                    channel_id, stage, event_type, campaign_id, staff_id, product_id, amount, fee_income
                    from events where customer_id = ? and event_date = ?""",
        [row[0], row[2]],
    )
    marts.build(copy)
    _check(copy)


def test_an_imported_warehouse_without_marts_gets_them(copy):
    for t in marts.MARTS:
        copy.execute(f"drop table {t}")
    marts.build(copy)
    _check(copy)


def test_no_event_falls_after_the_as_of_date(wh, as_of):
    last = wh.sql("select max(event_date) as d from events").d.iloc[0]
    assert pd.Timestamp(last).date() <= as_of


def _cli(*args, env=None):
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "cockpit.ops.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, **(env or {})),
    )


def test_cockpit_build_refreshes_a_day_and_refuses_what_it_cannot_build(bank, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(bank / "warehouse.duckdb", path)
    ok = _cli("--db", str(path), "build", "--day", "2026-11-20")
    assert ok.returncode == 0 and "marts built (day 2026-11-20)" in ok.stdout, ok.stderr
    assert "metric values stored in" in ok.stdout and "guidance stored in" in ok.stdout
    assert "scorecard stored in" in ok.stdout and ": 3 periods," in ok.stdout  # month, quarter, year
    bad_day = _cli("--db", str(path), "build", "--day", "2026-13-01")
    assert bad_day.returncode == 2 and "month must be in 1..12" in bad_day.stderr
    missing = _cli("--db", str(tmp_path / "none.duckdb"), "build")
    assert missing.returncode == 2 and "no warehouse at" in missing.stderr
    url = _cli("--db", "postgresql+psycopg://app@127.0.0.1:1/x", "build")
    assert url.returncode == 2 and "cockpit export" in url.stderr


def test_cockpit_export_says_when_the_target_cannot_be_reached(bank):
    out = _cli(
        "--db", str(bank / "warehouse.duckdb"), "export", "--to", "postgresql+psycopg://app@127.0.0.1:1/x"
    )
    assert (
        out.returncode == 2
        and "cannot reach the target warehouse" in out.stderr
        and "Traceback" not in out.stderr
    )


def test_a_new_day_adds_its_customers_without_recounting_the_period(copy, monkeypatch):
    """The daily case reads the new day's customers only; building the same day again recounts, and stays
    exact.
    """
    last = copy.execute("select max(event_date) from events").fetchone()[0]
    copy.execute("create temp table held as select * from events where event_date = ?", [last])
    copy.execute("delete from events where event_date = ?", [last])
    marts.build(copy)
    copy.execute("insert into events select * from held")
    with monkeypatch.context() as m:
        m.setattr(marts, "_period", lambda *a: pytest.fail("the daily build recounted a whole period"))
        marts.build(copy, last)
    _check(copy)
    marts.build(copy, last)  # the same day again: already counted, so its periods are recounted
    _check(copy)


def test_the_builds_memory_and_threads_are_checked_and_shared_out(monkeypatch, bank, tmp_path):
    """COCKPIT_BUILD_MEMORY bounds DuckDB in each process of the build: the stored guidance's workers each
    get their share; a bad value is refused with the setting's name, as is a bad thread count."""
    from cockpit.warehouse import marts
    from cockpit.warehouse.layer import Warehouse

    monkeypatch.setenv("COCKPIT_BUILD_MEMORY", "3GB")
    assert (marts.build_memory(), marts.build_memory(2), marts.build_memory(4)) == ("3GB", "1500MB", "750MB")
    monkeypatch.setenv("COCKPIT_BUILD_MEMORY", "1GiB")
    assert marts.build_memory(2) == "536MB"  # 2^30 / 2 bytes
    path = tmp_path / "limited.duckdb"  # a file of its own: DuckDB opens a file one way per process
    shutil.copy(bank / "warehouse.duckdb", path)
    limited = Warehouse(str(path), memory_limit="1500MB")
    got = limited.sql("select current_setting('memory_limit') as m").m.iloc[0]
    limited.engine.dispose()
    number, unit = got.split()
    assert unit == "GiB" and abs(float(number) * 2**30 - 1.5e9) < 0.1 * 2**30, got
    monkeypatch.setenv("COCKPIT_BUILD_MEMORY", "lots")
    with pytest.raises(marts.MartError, match="COCKPIT_BUILD_MEMORY must look like 8GB"):
        marts.build_memory(2)
    monkeypatch.setenv("COCKPIT_BUILD_THREADS", "two")
    with pytest.raises(marts.MartError, match="COCKPIT_BUILD_THREADS must be a whole number"):
        marts.build_threads()
