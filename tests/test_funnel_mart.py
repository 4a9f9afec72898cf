"""The stored SICAS funnel (mart_sicas_funnel) gives the figures the per-customer query computes from the
events, after a full build, a one-day build and with customers seen under several branches; a branch head
reaches none of it outside their subtree."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import scope_of
from test_sicas import events_of, pandas_funnel

from cockpit.core.periods import Period
from cockpit.domain import sicas
from cockpit.warehouse import funnel_mart, marts
from cockpit.warehouse.layer import Scope, ScopeError, Warehouse

HO = Scope("t", "executive", ("HO",))
BYS = ("total", *sicas.BREAKDOWNS)


def stored_windows(wh: Warehouse) -> list[tuple[dt.date, dt.date]]:
    df = wh.sql("select distinct window_start, window_end from mart_sicas_funnel order by 1, 2")
    return [
        (a.date(), b.date()) for a, b in zip(pd.to_datetime(df.window_start), pd.to_datetime(df.window_end))
    ]


def assert_same(wh: Warehouse, scope: Scope, params: dict) -> pd.DataFrame:
    """The stored rows equal the rows computed from the events; returns them."""
    stored = wh.run("sicas_funnel_stored", scope, params)
    computed = wh.run("sicas_funnel", scope, params, use_stored=False)
    assert not computed.empty or stored.empty, params
    pd.testing.assert_frame_equal(stored, computed, check_dtype=False, obj=str(params))
    return stored


def test_every_offered_window_is_stored_and_nothing_else(wh, as_of):
    periods = wh.sql("select period_type, period_start, through_date from mart_periods")
    expected = set()
    for row in periods.itertuples():
        p = Period(row.period_type, pd.Timestamp(row.period_start).date(), as_of)
        expected.add((p.start, p.to_date))
        expected.add(p.previous())
    for kind in ("month", "quarter", "year"):  # the guidance's recent windows of the current periods
        expected.add(Period.containing(kind, as_of, as_of).recent())
    have = wh.sql("select min(event_date) as lo from events").lo.iloc[0]
    expected = {w for w in expected if w[1] >= pd.Timestamp(have).date()}  # windows before the data hold none
    assert set(stored_windows(wh)) == expected
    assert set(wh.sql("select distinct org_id from mart_sicas_funnel").org_id) == set(
        wh.sql("select org_id from orgs where level <= 2").org_id
    )


def test_the_guidance_reads_its_recent_window_by_child_and_campaign_from_the_stored_rows(wh, as_of):
    from cockpit.guidance import Context

    for kind in ("month", "quarter"):
        ctx = Context(wh, HO, "R01", Period.containing(kind, as_of, as_of))
        for by in ("child", "campaign"):
            params = {"org_id": "R01", "start": ctx.window_start, "end": ctx.period.to_date, "by": by}
            assert not wh.run("sicas_funnel_stored", HO, params).empty, (kind, by)
            assert_same(wh, HO, params)


@pytest.mark.parametrize("org", ["HO", "R01", "R02B01"])
def test_stored_funnel_equals_the_per_customer_computation_for_every_breakdown(wh, org):
    whole = wh.sql(
        "select distinct window_start, window_end from mart_sicas_funnel where breakdown = 'child'"
    )
    pairs = sorted(zip(pd.to_datetime(whole.window_start).dt.date, pd.to_datetime(whole.window_end).dt.date))
    assert len(pairs) > 20
    compared = 0
    for start, end in pairs[-4:] + pairs[:1]:  # the current month, quarter and year, and a closed period
        for by in BYS:
            for group in ("all", "online", "offline"):
                params = {"org_id": org, "start": start, "end": end, "by": by, "channel_group": group}
                compared += not assert_same(wh, HO, params).empty
    assert compared > 70


def test_stored_previous_windows_equal_pandas_walking_each_customer(wh, as_of):
    """The page sets a period beside the previous one cut to the same length: stored, and right."""
    p = Period.containing("month", as_of, as_of)
    start, end = p.previous()
    assert end < p.shifted(-1).end  # a cut window, not a whole month
    got = assert_same(wh, HO, {"org_id": "R01", "start": start, "end": end}).set_index("stage")
    assert len(got) == len(sicas.CODES)
    counts, hours = pandas_funnel(events_of(wh, "R01"), start, end)
    assert counts["A"] > 0
    for code in sicas.CODES:
        assert got.loc[code, "customers"] == counts[code], code
        if hours[code]:
            assert got.loc[code, "median_hours"] == pytest.approx(pd.Series(hours[code]).median(), rel=1e-6)


def test_a_team_or_an_unstored_window_is_computed_from_the_events(wh, as_of):
    team = wh.sql("select org_id from orgs where level = 3 order by org_id limit 1").org_id.iloc[0]
    start = as_of - dt.timedelta(days=40)
    for params in (
        {"org_id": team, "start": start, "end": as_of},
        {"org_id": "HO", "start": start, "end": as_of},
    ):
        assert wh.run("sicas_funnel_stored", HO, params).empty
        got = wh.run("sicas_funnel", HO, params).set_index("stage")
        counts, _ = pandas_funnel(events_of(wh, params["org_id"]), start, as_of)
        assert got.customers.to_dict() == {c: counts[c] for c in got.index}


def _copy(bank: Path, tmp_path: Path) -> Path:
    path = tmp_path / "copy.duckdb"
    shutil.copy(bank / "warehouse.duckdb", path)
    return path


def move_half_of_a_branch(con: duckdb.DuckDBPyConnection) -> None:
    """Half the customers of R01B01 also act, later each month, at a manager of R02B01."""
    moved = con.execute(
        "select org_id from orgs o join org_closure c on c.descendant_id = o.org_id "
        "where c.ancestor_id = 'R02B01' and o.level = 4 order by org_id limit 1"
    ).fetchone()[0]
    con.execute(
        """update events set org_id = ? where event_id in (
             select e.event_id from events e join org_closure c on c.descendant_id = e.org_id
             where c.ancestor_id = 'R01B01' and e.customer_id % 2 = 0 and e.stage in ('C', 'A', 'H'))""",
        [moved],
    )


def rebuilt_with_movers(bank: Path, tmp_path: Path) -> Warehouse:
    """A copy of the bank with half of R01B01's customers also acting under R02B01, its marts rebuilt."""
    path = _copy(bank, tmp_path)
    con = duckdb.connect(str(path))
    move_half_of_a_branch(con)
    marts.build(con)
    con.close()
    return Warehouse(str(path))
    n = con.execute(
        "select count(*) from (select customer_id from events e "
        "join org_closure c on c.descendant_id = e.org_id "
        "where c.ancestor_id in ('R01B01', 'R02B01') group by customer_id "
        "having count(distinct c.ancestor_id) = 2)"
    ).fetchone()[0]
    assert n > 20


def test_customers_seen_under_two_branches_are_counted_once_above_both(bank, tmp_path):
    wh = rebuilt_with_movers(bank, tmp_path)
    start, end = stored_windows(wh)[-1]
    year = [w for w in stored_windows(wh) if w[0] == dt.date(end.year, 1, 1) and w[1] == end][0]
    for org in ("HO", "R01", "R02", "R01B01", "R02B01"):
        for by in ("total", "child", "campaign"):
            assert_same(wh, HO, {"org_id": org, "start": year[0], "end": year[1], "by": by})
    wh.engine.dispose()


def test_customers_whose_stages_come_out_of_order_are_ordered_from_their_events(bank, tmp_path):
    """Where a stage's first moment comes before the previous stage's, the build orders that customer from
    their events (the short cut of taking each stage's first moment does not hold for them)."""
    path = _copy(bank, tmp_path)
    con = duckdb.connect(str(path))
    # Every other customer's events are shifted back by a few days each, in an order unrelated to the stages.
    con.execute(
        "update events set event_ts = event_ts - to_days(cast((event_id * 7919) % 9 as integer)) "
        "where customer_id % 2 = 0"
    )
    marts.build(con)
    tangled = con.execute(
        "select count(*) from (select customer_id, min(event_ts) filter (where stage = 'S') as s, "
        "min(event_ts) filter (where stage = 'I') as i from events group by customer_id) where i < s"
    ).fetchone()[0]
    con.close()
    assert tangled > 50
    wh = Warehouse(str(path))
    for start, end in stored_windows(wh)[-3:]:
        for org in ("HO", "R01", "R01B01"):
            for by in ("total", "channel", "child"):
                assert_same(wh, HO, {"org_id": org, "start": start, "end": end, "by": by})
    wh.engine.dispose()


def test_steps_without_any_time_store_no_hours_as_the_query_shows_none(bank, tmp_path):
    """Data holding one date per month (an import without times) has no hours between stages to show."""
    path = _copy(bank, tmp_path)
    con = duckdb.connect(str(path))
    con.execute("update events set event_ts = cast(date_trunc('month', event_date) as timestamp)")
    marts.build(con)
    con.close()
    wh = Warehouse(str(path))
    start, end = stored_windows(wh)[-1]
    got = assert_same(wh, HO, {"org_id": "R01", "start": start, "end": end})
    assert got.customers.iloc[0] > 0 and got.median_hours.isna().all() and got.p75_hours.isna().all()
    # Every event of a month at one moment: the Sense channel, campaign and product go by the event id.
    for by in ("channel", "campaign", "product", "child"):
        assert_same(wh, HO, {"org_id": "R01", "start": start, "end": end, "by": by})
    wh.engine.dispose()


def by_day_then_whole(bank: Path, tmp_path: Path, query: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`query`'s rows after a full build without the last day and a one-day build of it, then after a full
    build of every day: a one-day build must give what a full build gives."""
    path = _copy(bank, tmp_path)
    con = duckdb.connect(str(path))
    day = con.execute("select max(event_date) from events").fetchone()[0]
    con.execute("create temp table last_day as select * from events where event_date = ?", [day])
    con.execute("delete from events where event_date = ?", [day])
    marts.build(con)
    con.execute("insert into events select * from last_day")
    marts.build(con, day)
    incremental = con.execute(query).df()
    marts.build(con)
    full = con.execute(query).df()
    con.close()
    return incremental, full


def test_a_one_day_build_gives_what_a_full_build_gives(bank, tmp_path):
    order = "order by window_start, window_end, org_id, channel_group, breakdown, slice"
    incremental, full = by_day_then_whole(bank, tmp_path, f"select * from {funnel_mart.TABLE} {order}")
    assert len(full) > 1000
    pd.testing.assert_frame_equal(incremental, full)


# ---------------------------------------------------------------- from the attacker's side
def test_a_branch_head_reaches_no_stored_row_outside_their_subtree(wh):
    """head_r02 asks the stored table, through every query that reads it, for every node it holds."""
    head = scope_of("head_r02")
    mine = wh.visible_orgs(head)
    readers = ("sicas_funnel_stored", "sicas_funnel")
    start, end = stored_windows(wh)[-1]
    for org in wh.sql("select distinct org_id from mart_sicas_funnel").org_id:
        for name in readers:
            params = {"org_id": org, "start": start, "end": end, "by": "child"}
            if org in mine:
                got = wh.run(name, head, params)
                assert not got.empty and set(got.slice) <= mine, (name, org)
            else:
                with pytest.raises(ScopeError):
                    wh.run(name, head, params)
    # Crafted parameters are refused before any SQL runs.
    for bad in ("R01' or '1'='1", "HO;drop table mart_sicas_funnel"):
        with pytest.raises(ValueError):
            wh.run("sicas_funnel_stored", head, {"org_id": bad, "start": start, "end": end})
