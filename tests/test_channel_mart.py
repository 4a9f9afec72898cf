"""The stored channel figures (cockpit/warehouse/channel_mart.py) give the rows the named queries compute from
the events and referrals, for every stored node and period, after a full build, a one-day build and with
customers seen under several branches, for the head office and for a branch head."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from conftest import scope_of
from test_funnel_mart import _copy, rebuilt_with_movers

from cockpit.domain import channels as rules
from cockpit.warehouse import channel_mart, marts
from cockpit.warehouse.layer import Scope, ScopeError, Warehouse

HO = Scope("t", "executive", ("HO",))
# Each stored query's variants as the channels page asks them, beyond the node and the window.
VARIANTS = {
    "channel_mix": [{}],
    "channel_identity": [{}],
    "referral_matrix": [
        {"level": lv, "channel_group": g} for lv in ("channel", "group") for g in ("all", "online", "offline")
    ],
}


def stored_cells(wh: Warehouse, table: str) -> list[tuple[str, object, object]]:
    df = wh.sql(f"select distinct org_id, window_start, window_end from {table} order by 1, 2, 3")
    return [
        (o, pd.Timestamp(a).date(), pd.Timestamp(b).date())
        for o, a, b in zip(df.org_id, df.window_start, df.window_end)
    ]


def assert_same(wh: Warehouse, scope: Scope, name: str, params: dict) -> pd.DataFrame:
    """The stored rows equal the rows computed from the detail tables; returns them."""
    stored = wh.run(f"{name}_stored", scope, params)
    computed = wh.run(name, scope, params, use_stored=False)
    assert not stored.empty or computed.empty, (name, params)
    pd.testing.assert_frame_equal(stored, computed, check_dtype=False, obj=f"{name} {params}")
    return stored


def assert_every_cell(wh: Warehouse, got: list[tuple[str, object, object]]) -> None:
    """`got` holds every window of mart_periods for every node from the sub-branches up, each once."""
    periods = wh.sql("select period_type, period_start, through_date from mart_periods")
    want = {
        (pd.Timestamp(a).date(), pd.Timestamp(b).date())
        for a, b in zip(periods.period_start, periods.through_date)
    }
    nodes = set(wh.sql("select org_id from orgs where level <= 2").org_id)
    assert {(a, b) for _, a, b in got} == want
    assert {o for o, _, _ in got} == nodes
    assert len(got) == len(want) * len(nodes)  # the bank is active under every node in every period


def test_every_stored_node_and_period_is_there(wh):
    assert_every_cell(wh, stored_cells(wh, "mart_channel_identity"))


@pytest.mark.parametrize("user", ["exec", "head_r02"])
def test_stored_figures_equal_the_computation_for_every_stored_node_and_period(wh, user):
    """The head office compares every stored node and period, a branch head every one of theirs, each in
    every variant the page asks for (the head office takes one matrix variant, to keep the test short)."""
    scope = HO if user == "exec" else scope_of(user)
    mine = wh.visible_orgs(scope)
    compared = 0
    for org, start, end in stored_cells(wh, "mart_channel_identity"):
        if org not in mine:
            continue
        for name, variants in VARIANTS.items():
            for extra in variants if user != "exec" else variants[:1]:
                compared += not assert_same(
                    wh, scope, name, {"org_id": org, "start": start, "end": end, **extra}
                ).empty
        trend = {"org_id": org, "start": rules.route_trend_start(end), "end": end}
        compared += not assert_same(wh, scope, "referral_monthly", trend).empty
    assert compared > (1000 if user == "exec" else 500)


def test_the_page_reads_the_stored_rows_and_a_custom_window_is_computed(wh):
    org, start, end = stored_cells(wh, "mart_channel_mix")[-1]
    assert not wh.run("channel_mix_stored", HO, {"org_id": org, "start": start, "end": end}).empty
    shifted = {"org_id": org, "start": start + pd.Timedelta(days=1), "end": end}
    assert wh.run("channel_mix_stored", HO, shifted).empty
    assert not wh.run("channel_mix", HO, shifted).empty
    mid = {"org_id": org, "start": rules.route_trend_start(end), "end": start}  # cuts the last month short
    assert wh.run("referral_monthly_stored", HO, mid).empty
    assert not wh.run("referral_monthly", HO, mid).empty
    team = wh.sql("select org_id from orgs where level = 3 order by org_id limit 1").org_id.iloc[0]
    assert wh.run("channel_identity_stored", HO, {"org_id": team, "start": start, "end": end}).empty


def test_customers_seen_under_two_branches_are_counted_once_above_both(bank, tmp_path):
    wh = rebuilt_with_movers(bank, tmp_path)
    cells = [
        c for c in stored_cells(wh, "mart_channel_mix") if c[0] in ("HO", "R01", "R02", "R01B01", "R02B01")
    ]
    assert len(cells) > 50
    for org, start, end in cells:
        for name in ("channel_mix", "channel_identity"):
            assert_same(wh, HO, name, {"org_id": org, "start": start, "end": end})
    wh.engine.dispose()


def test_a_one_day_build_gives_what_a_full_build_gives(bank, tmp_path):
    path = _copy(bank, tmp_path)
    con = duckdb.connect(str(path))
    day = con.execute("select max(event_date) from events").fetchone()[0]
    last = con.execute("select max(cast(created_at as date)) from referrals").fetchone()[0]
    assert (last.year, last.month) == (day.year, day.month)  # the day's month holds the last referrals
    for t, date, when in (("events", "event_date", day), ("referrals", "cast(created_at as date)", last)):
        con.execute(f"create temp table held_{t} as select * from {t} where {date} = ?", [when])
        con.execute(f"delete from {t} where {date} = ?", [when])
    marts.build(con)
    for t in ("events", "referrals"):
        con.execute(f"insert into {t} select * from held_{t}")
    marts.build(con, day)
    incremental = {t: con.execute(f"select * from {t} order by all").df() for t in channel_mart.TABLES}
    marts.build(con)
    for t in channel_mart.TABLES:
        assert len(incremental[t]) > 100, t
        pd.testing.assert_frame_equal(
            incremental[t], con.execute(f"select * from {t} order by all").df(), obj=t
        )
    con.close()


def probe_every_node(
    wh: Warehouse, head: Scope, name: str, orgs: list[str], window: dict, attacks: list[str]
) -> int:
    """`head` asks each node of `orgs` for `window` through `name`_stored and `name`: their own nodes give the
    head office's figures, any other is refused, and past the org check, with the head's scope bound, the
    stored query alone returns nothing. Returns how many asks were refused."""
    from cockpit.warehouse.layer import render

    mine = wh.visible_orgs(head)
    refused = 0
    for org in orgs:
        params = {"org_id": org, **window}
        for reader in (f"{name}_stored", name):
            if org in mine:
                pd.testing.assert_frame_equal(wh.run(reader, head, params), wh.run(reader, HO, params))
            else:
                attacks.append(f"{reader} for {org}")
                with pytest.raises(ScopeError):
                    wh.run(reader, head, params)
                refused += 1
        if org not in mine:
            bound = wh_bound(name, params) | {"scope_0": head.org_ids[0]}
            assert wh._frame(render(f"{name}_stored", 1, wh.dialect), bound).empty, org
    return refused


def wh_bound(name: str, params: dict) -> dict:
    """The stored query's parameters as the layer binds them (defaults filled)."""
    from cockpit.warehouse import queries

    return queries.get(f"{name}_stored").bind(params)


# ---------------------------------------------------------------- from the attacker's side
READERS = {  # each stored table, the query reading it and the query it stands in for, with a page variant
    "mart_channel_mix": ("channel_mix", {}),
    "mart_channel_identity": ("channel_identity", {}),
    "mart_referral_route": ("referral_matrix", {"level": "group", "channel_group": "all"}),
}


@pytest.mark.parametrize("table", [*READERS, "mart_referral_month"])
def test_a_branch_head_reaches_no_stored_row_outside_their_subtree(wh, table, attacks):
    """head_r02 asks every stored node through the stored query and the one it stands in for: their own
    nodes give the head office's figures, any other is refused; past the org check the scope still holds."""
    head = scope_of("head_r02")
    if table == "mart_referral_month":
        name, extra = "referral_monthly", {}
        cells = [(o, rules.route_trend_start(b), b) for o, _, b in stored_cells(wh, "mart_channel_identity")]
    else:
        (name, extra), cells = READERS[table], stored_cells(wh, table)
    _, start, end = cells[-1]
    window = {"start": start, "end": end, **extra}
    assert probe_every_node(wh, head, name, sorted({c[0] for c in cells}), window, attacks) > 5
    for bad in ("R02' or '1'='1", f"R02;drop table {table}"):
        with pytest.raises(ValueError):
            wh.run(f"{name}_stored", head, {"org_id": bad, "start": start, "end": end})
