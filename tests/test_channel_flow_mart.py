"""The stored return flow and data coverage (cockpit/warehouse/return_mart.py, coverage_mart.py) give the rows
the named queries compute from the detail tables, for every stored node and period, after a full build, a
one-day build and with customers seen under several branches, for the head office and for a branch head;
a branch head reaches none of another branch's stored rows."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from conftest import scope_of
from test_channel_mart import HO, assert_every_cell, assert_same, probe_every_node, stored_cells, wh_bound
from test_funnel_mart import _copy, rebuilt_with_movers

from cockpit.warehouse import coverage_mart, marts, return_mart
from cockpit.warehouse.layer import Warehouse, render

READERS = {"mart_channel_return": "channel_return_flow", "mart_channel_coverage": "channel_coverage"}


def cells(wh: Warehouse) -> list[tuple[str, object, object]]:
    return stored_cells(wh, "mart_channel_return")


def test_every_stored_node_and_period_is_there(wh):
    for table in READERS:
        assert_every_cell(wh, [c for c in stored_cells(wh, table) if not pd.isna(c[1])])


@pytest.mark.parametrize("user", ["exec", "head_r02"])
def test_stored_figures_equal_the_computation_for_every_stored_node_and_period(wh, user):
    scope = HO if user == "exec" else scope_of(user)
    mine = wh.visible_orgs(scope)
    back = 0
    for org, start, end in cells(wh):
        if org not in mine:
            continue
        params = {"org_id": org, "start": start, "end": end}
        flow = assert_same(wh, scope, "channel_return_flow", params)
        back += int(flow.loc[flow.kind == "back_online", "customers"].iloc[0]) > 0
        coverage = assert_same(wh, scope, "channel_coverage", params)
        assert len(coverage) == len(coverage_mart.DATASETS) + 1  # and the balances, per window
    assert back > (100 if user == "exec" else 30)  # the gap rule finds returns in most cells


def test_another_gap_and_a_custom_window_are_computed(wh):
    org, start, end = cells(wh)[-1]
    params = {"org_id": org, "start": start, "end": end}
    assert not wh.run("channel_return_flow_stored", HO, params).empty
    assert wh.run("channel_return_flow_stored", HO, {**params, "gap_days": 30}).empty
    assert_same(wh, HO, "channel_return_flow", {**params, "gap_days": return_mart.GAP_DAYS})
    shifted = {**params, "start": start + pd.Timedelta(days=1)}
    for name in READERS.values():
        assert wh.run(f"{name}_stored", HO, shifted).empty
        assert not wh.run(name, HO, shifted).empty
    team = wh.sql("select org_id from orgs where level = 3 order by org_id limit 1").org_id.iloc[0]
    assert wh.run("channel_coverage_stored", HO, {**params, "org_id": team}).empty


def test_customers_seen_under_two_branches_are_counted_once_above_both(bank, tmp_path):
    wh = rebuilt_with_movers(bank, tmp_path)
    compared = [c for c in cells(wh) if c[0] in ("HO", "R01", "R02", "R01B01", "R02B01")]
    assert len(compared) > 50
    for org, start, end in compared:
        assert_same(wh, HO, "channel_return_flow", {"org_id": org, "start": start, "end": end})
    wh.engine.dispose()


def test_a_one_day_build_gives_what_a_full_build_gives(bank, tmp_path):
    path = _copy(bank, tmp_path)
    con = duckdb.connect(str(path))
    day = con.execute("select max(event_date) from events").fetchone()[0]
    held = {
        "events": "event_date",
        "lifecycle_changes": "change_date",
        "balances_daily": "balance_date",
    }
    for t, date in held.items():
        con.execute(f"create temp table held_{t} as select * from {t} where {date} = ?", [day])
        con.execute(f"delete from {t} where {date} = ?", [day])
    marts.build(con)
    for t in held:
        con.execute(f"insert into {t} select * from held_{t}")
    marts.build(con, day)
    tables = (return_mart.TABLE, coverage_mart.TABLE)
    incremental = {t: con.execute(f"select * from {t} order by all").df() for t in tables}
    marts.build(con)
    for t in tables:
        assert len(incremental[t]) > 100, t
        pd.testing.assert_frame_equal(
            incremental[t], con.execute(f"select * from {t} order by all").df(), obj=t
        )
    con.close()


# ---------------------------------------------------------------- from the attacker's side
@pytest.mark.parametrize("table", READERS)
def test_a_branch_head_reaches_no_stored_row_outside_their_subtree(wh, table, attacks):
    """head_r02 asks every stored node through the stored query and the one it stands in for: their own
    nodes give the head office's figures, any other is refused; past the org check the scope still holds,
    though the rows are there for the head office."""
    head, name = scope_of("head_r02"), READERS[table]
    _, start, end = cells(wh)[-1]
    orgs = sorted({c[0] for c in cells(wh)})
    assert probe_every_node(wh, head, name, orgs, {"start": start, "end": end}, attacks) > 5
    other = next(o for o in orgs if o not in wh.visible_orgs(head))
    bound = wh_bound(name, {"org_id": other, "start": start, "end": end}) | {"scope_0": "HO"}
    assert not wh._frame(render(f"{name}_stored", 1, wh.dialect), bound).empty
    for bad in ("R02' or '1'='1", f"R02;drop table {table}"):
        with pytest.raises(ValueError):
            wh.run(f"{name}_stored", head, {"org_id": bad, "start": start, "end": end})
