"""The stored metric values (cockpit/warehouse/metric_store.py) are the rows `metric_values` computes, for
every stored window and every node from the sub-branches up with its children, for the head office and for a
branch head; what is not stored is computed; a branch head reads no stored row outside their subtree."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest
from conftest import scope_of
from test_funnel_mart import _copy

from cockpit.core.periods import KINDS, Period
from cockpit.domain import targets
from cockpit.warehouse import marts, metric_store
from cockpit.warehouse.layer import Scope, Warehouse

HO = Scope("t", "executive", ("HO",))


@pytest.fixture(scope="module")
def stored(bank, tmp_path_factory) -> Warehouse:
    """A copy of the bank with its metric values stored."""
    path = _copy(bank, tmp_path_factory.mktemp("metric_store"))
    metric_store.build(path)
    return Warehouse(str(path))


def stored_windows(wh: Warehouse) -> list[tuple[dt.date, dt.date]]:
    df = wh.sql("select distinct window_start, window_end from mart_metric_values order by 1, 2")
    return [(pd.Timestamp(a).date(), pd.Timestamp(b).date()) for a, b in zip(df.window_start, df.window_end)]


def test_every_window_a_page_asks_for_the_current_periods_is_stored(stored):
    as_of = pd.Timestamp(stored.sql("select max(event_date) as d from events").d.iloc[0]).date()
    have = set(stored_windows(stored))
    for kind in KINDS:
        period = Period.containing(kind, as_of, as_of)
        assert set(targets.windows(period).values()) <= have, kind  # the overview and the targets page
        before = period.shifted(-1)
        assert (before.start, before.end) in have, kind  # the guidance's whole previous period


@pytest.mark.parametrize("who", ["exec", "head_r01"])
def test_stored_values_equal_the_computed_ones_for_every_window_and_node(stored, who):
    scope = HO if who == "exec" else scope_of(who)
    parents = stored.sql("select org_id from orgs where level <= 2 order by org_id").org_id
    mine = stored.visible_orgs(scope)
    checked = 0
    for start, end in stored_windows(stored):
        for parent, cut in [(p, {}) for p in parents] + [("R01", {"max_level": 1}), ("HO", {"max_level": 0})]:
            params = {"start": start, "end": end, "parent": parent, **cut}
            got = stored.run("metric_values_stored", scope, params)
            computed = stored.run("metric_values", scope, params, use_stored=False)
            # Above the reader's own node both answer with the reader's rows only (the node's children
            # inside the scope); elsewhere with the node and its children.
            assert not got.empty or computed.empty, (parent, start, end)
            pd.testing.assert_frame_equal(got, computed, check_dtype=False, obj=str(params))
            assert set(got.org_id) <= mine
            checked += parent in mine
    assert checked >= (3 if who == "head_r01" else 9) * len(stored_windows(stored))


@pytest.mark.parametrize("who", ["exec", "head_r01"])
def test_stored_daily_series_equal_the_computed_ones(stored, who):
    """The head office's and the branches' daily series of the current periods are stored (what the targets
    page charts), equal to the computed ones; a sub-branch's are computed."""
    scope = HO if who == "exec" else scope_of(who)
    as_of = pd.Timestamp(stored.sql("select max(event_date) as d from events").d.iloc[0]).date()
    nodes = stored.sql("select org_id, level from orgs where level <= 2 order by org_id")
    mine = stored.visible_orgs(scope)
    checked = 0
    for start, end in metric_store.daily_windows(as_of):
        for node, level in zip(nodes.org_id, nodes.level):
            params = {"start": start, "end": end, "parent": node, "grain": "day"}
            got = stored.run("metric_values_stored", scope, params)
            if level > metric_store.DAILY_LEVEL or node not in mine:
                assert got.empty, params
                continue
            computed = stored.run("metric_values", scope, params, use_stored=False)
            assert got.day.nunique() == (end - start).days + 1 and set(got.org_id) == {node}
            pd.testing.assert_frame_equal(got, computed, check_dtype=False, obj=str(params))
            checked += 1
    assert checked == 3 * (1 if who == "head_r01" else 4)


@pytest.mark.parametrize("who", ["exec", "head_r01"])
def test_the_overview_tiles_read_from_the_stored_values_equal_their_own_computation(stored, who):
    """overview_kpis sums balances and counts customers and actions itself; read from the stored metric
    values (the metric dictionary's figures) it gives the same tiles for every stored node and current period,
    and a window that is not stored is computed."""
    scope = HO if who == "exec" else scope_of(who)
    as_of = pd.Timestamp(stored.sql("select max(event_date) as d from events").d.iloc[0]).date()
    mine = stored.visible_orgs(scope)
    nodes = [
        o for o in stored.sql("select org_id from orgs where level <= 2 order by org_id").org_id if o in mine
    ]
    for node in nodes:
        for kind in KINDS:
            period = Period.containing(kind, as_of, as_of)
            before = period.previous()
            params = {"org_id": node, "start": period.start, "end": period.to_date}
            params |= {"prev_start": before[0], "prev_end": before[1]}
            got = stored.run("overview_kpis_stored", scope, params)
            assert len(got) == 5 and got.current_value.gt(0).all(), params
            computed = stored.run("overview_kpis", scope, params, use_stored=False)
            pd.testing.assert_frame_equal(got, computed, check_dtype=False, obj=str(params))
    assert len(nodes) == (3 if who == "head_r01" else 10)
    odd = {**params, "start": params["start"] + dt.timedelta(days=1)}
    assert stored.run("overview_kpis_stored", scope, odd).empty
    assert len(stored.run("overview_kpis", scope, odd)) == 5


def test_what_is_not_stored_is_computed(stored):
    start, end = stored_windows(stored)[-1]
    team = stored.sql("select org_id from orgs where level = 3 order by org_id limit 1").org_id.iloc[0]
    # A team's managers are not stored: the stored query answers nothing and the team is computed.
    assert stored.run("metric_values_stored", HO, {"start": start, "end": end, "parent": team}).empty
    got = stored.run("metric_values", HO, {"start": start, "end": end, "parent": team})
    assert (got.level == 4).any()
    # Nor are a sub-branch's daily series, the head office's of an earlier window, or a window of one's own
    # choosing.
    for parent, (a, b) in (("R01B01", (start, end)), ("HO", stored_windows(stored)[0])):
        day = {"start": a, "end": b, "parent": parent, "grain": "day"}
        assert stored.run("metric_values_stored", HO, day).empty
        assert stored.run("metric_values", HO, day).day.nunique() == (b - a).days + 1
    odd = {"start": start + dt.timedelta(days=1), "end": end, "parent": "HO"}
    assert stored.run("metric_values_stored", HO, odd).empty
    assert not stored.run("metric_values", HO, odd).empty


def test_a_full_build_empties_the_stored_values(bank, tmp_path):
    """Stored figures of other data would be wrong: an import or a full build drops them until the next
    `cockpit build` stores them again."""
    path = _copy(bank, tmp_path)
    metric_store.build(path)
    con = duckdb.connect(str(path))
    assert con.execute("select count(*) from mart_metric_values").fetchone()[0] > 100
    marts.build(con)
    assert con.execute("select count(*) from mart_metric_values").fetchone()[0] == 0
    con.close()


# ---------------------------------------------------------------- from the attacker's side
def test_a_branch_head_reads_no_stored_value_outside_their_subtree(stored):
    head = scope_of("head_r02")
    mine = stored.visible_orgs(head)
    for start, end in stored_windows(stored):
        for parent in ("HO", "R01", "R01B01", "R02", "all", "R01' or '1'='1"):
            got = stored.run("metric_values_stored", head, {"start": start, "end": end, "parent": parent})
            assert set(got.org_id) <= mine, (parent, start, end)
            assert parent not in ("R01", "R01B01") or got.empty


def test_a_warehouse_built_before_the_stored_table_existed_computes(bank, tmp_path, caplog):
    path = _copy(bank, tmp_path)
    con = duckdb.connect(str(path))
    con.execute("drop table if exists mart_metric_values")
    con.close()
    wh = Warehouse(str(path))
    as_of = pd.Timestamp(wh.sql("select max(event_date) as d from events").d.iloc[0]).date()
    got = wh.run("metric_values", HO, {"start": as_of.replace(day=1), "end": as_of, "parent": "HO"})
    assert set(got.org_id) >= {"HO", "R01"} and got.value.notna().any()
    assert "stored figures not read" in caplog.text
    wh.engine.dispose()
