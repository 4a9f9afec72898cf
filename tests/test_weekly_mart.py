"""The stored weekly SICAS trend (cockpit/warehouse/weekly_mart.py) gives the rows queries/sicas_weekly.sql
counts from the events, for every stored node and channel-group filter, after a full build, a one-day build
and with customers seen under two branches; other trends and teams are counted from the events; a branch
head reaches none of another branch's stored rows."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import scope_of
from test_channel_mart import HO, assert_same, probe_every_node
from test_funnel_mart import by_day_then_whole, rebuilt_with_movers

from cockpit.core.periods import trend_start
from cockpit.warehouse import weekly_mart
from cockpit.warehouse.layer import Warehouse

GROUPS = ("all", "online", "remote", "offline")


def trend(wh: Warehouse) -> dict:
    end = pd.Timestamp(wh.sql("select max(event_date) as d from events").d.iloc[0]).date()
    return {"start": trend_start(end), "end": end}


def test_every_node_from_the_sub_branches_up_holds_the_current_trend_alone(wh):
    stored = wh.sql("select distinct org_id, window_start, window_end, channel_group from mart_sicas_weekly")
    window = trend(wh)
    assert set(pd.to_datetime(stored.window_start).dt.date) == {window["start"]}
    assert set(pd.to_datetime(stored.window_end).dt.date) == {window["end"]}
    assert set(stored.org_id) == set(wh.sql("select org_id from orgs where level <= 2").org_id)
    assert set(stored.channel_group) == set(GROUPS)


@pytest.mark.parametrize("user", ["exec", "head_r02"])
def test_stored_trend_equals_the_count_from_the_events_for_every_node_and_filter(wh, user):
    scope = HO if user == "exec" else scope_of(user)
    nodes = wh.sql("select org_id from orgs where level <= 2 order by org_id").org_id
    mine = wh.visible_orgs(scope)
    asked = [(o, g) for o in nodes if o in mine for g in GROUPS]
    for org, group in asked:
        rows = assert_same(wh, scope, "sicas_weekly", {"org_id": org, "channel_group": group, **trend(wh)})
        assert rows.customers.sum() > 0, (org, group)  # the demo bank is active under every node and group
        assert set(rows.week_start.map(lambda d: pd.Timestamp(d).weekday())) == {0}
    assert len(asked) >= (40 if user == "exec" else 12)


def test_an_earlier_trend_and_a_team_are_counted_from_the_events(wh):
    window = trend(wh)
    earlier = {"start": window["start"] - pd.Timedelta(weeks=4), "end": window["end"] - pd.Timedelta(weeks=4)}
    team = wh.sql("select org_id from orgs where level = 3 order by org_id limit 1").org_id.iloc[0]
    for org, params in (("HO", earlier), (team, window)):
        asked = {"org_id": org, "channel_group": "all", **params}
        assert wh.run("sicas_weekly_stored", HO, asked).empty
        assert not wh.run("sicas_weekly", HO, asked).empty


def test_customers_seen_under_two_branches_are_counted_once_above_both(bank, tmp_path):
    wh = rebuilt_with_movers(bank, tmp_path)
    for org in ("HO", "R01", "R02", "R01B01", "R02B01"):
        for group in ("all", "offline"):
            assert_same(wh, HO, "sicas_weekly", {"org_id": org, "channel_group": group, **trend(wh)})
    wh.engine.dispose()


def test_a_one_day_build_gives_what_a_full_build_gives(bank, tmp_path):
    query = f"select * from {weekly_mart.TABLE} order by all"
    incremental, full = by_day_then_whole(bank, tmp_path, query)
    assert len(full) > 1000
    # the trend moved to the new day (the build without it ended the day before)
    assert set(pd.to_datetime(incremental.window_end).dt.date) == {
        trend(Warehouse(str(bank / "warehouse.duckdb")))["end"]
    }
    pd.testing.assert_frame_equal(incremental, full)


# ---------------------------------------------------------------- from the attacker's side
def test_a_branch_head_reaches_no_stored_trend_outside_their_subtree(wh, attacks):
    head = scope_of("head_r02")
    orgs = list(wh.sql("select org_id from orgs where level <= 2 order by org_id").org_id)
    assert probe_every_node(wh, head, "sicas_weekly", orgs, trend(wh), attacks) > 5
    for bad in ("R02' or '1'='1", "R02;drop table mart_sicas_weekly", "%"):
        with pytest.raises(ValueError):
            wh.run("sicas_weekly_stored", head, {"org_id": bad, **trend(wh)})
