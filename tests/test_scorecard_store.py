"""The stored scorecard points (cockpit/domain/scorecard_store.py) give the rows `scorecard_scores` scores
from the events, for every stored node and period, as the head office and as a branch head, with the live
action follow-through blended in; other settings are scored from the events; a one-day build stores what a
full build does; a branch head reaches no other branch's stored figures."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import scope_of
from test_funnel_mart import _copy
from test_scorecard import period, progress  # noqa: F401  (the month of the as-of date)
from test_scorecard_actions import loop_actions  # noqa: F401  (actions due this month on every region)

from cockpit.core import calendar
from cockpit.core.periods import Period
from cockpit.domain import scorecard, scorecard_store
from cockpit.warehouse import marts
from cockpit.warehouse.layer import PEER_COLUMNS, Scope, ScopeError, Warehouse

HO = Scope("t", "executive", ("HO",))


@pytest.fixture(scope="module")
def stored(bank: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """A copy of the xs bank with its scorecard stored by the build's own step."""
    path = _copy(bank, tmp_path_factory.mktemp("stored_scorecard"))
    scorecard_store.build(str(path))
    return Warehouse(str(path))


def stored_periods(wh: Warehouse) -> list[tuple[Period, calendar.Progress]]:
    as_of = pd.Timestamp(wh.run("warehouse_info", HO).as_of.iloc[0]).date()
    return [
        (p, calendar.progress(wh.run("calendar_days", HO, {"start": p.start, "end": p.end}), p))
        for p in scorecard_store.periods(wh, as_of)
    ]


def from_store(wh: Warehouse, scope: Scope, org: str, p: Period, prog, cfg=None) -> pd.DataFrame:
    """The query's rows read from the stored points alone (empty when they are not stored)."""
    given = scorecard.settings(prog, cfg)
    key = scorecard.settings_key(given)
    return wh.run(
        scorecard.QUERY,
        scope,
        scorecard.params(org, p),
        rows=scorecard.loop_rows(wh, scope, org, p, cfg),
        settings={**given, "source": "stored", "settings_key": key},
    )


def assert_same(wh: Warehouse, scope: Scope, org: str, p: Period, prog) -> pd.DataFrame:
    got = from_store(wh, scope, org, p, prog)
    assert not got.empty, (org, p)
    want = scorecard.scores(wh, scope, org, p, prog, use_stored=False)
    pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=f"{org} {p.label}")
    return got


def test_the_build_stores_every_node_down_to_the_teams_for_every_period(stored):
    held = stored.sql(
        "select period_type, period_start, count(distinct org_id) as n from mart_scorecard group by all"
    )
    assert len(held) == len(stored.sql("select * from mart_periods"))
    assert set(held.n) == {len(stored.sql("select org_id from orgs where level <= 3"))}


@pytest.mark.parametrize("user", ["exec", "head_r02"])
def test_stored_scores_equal_the_computed_ones_for_every_stored_node_and_period(stored, user):
    """Every node from the sub-branches up the user sees, in the periods the page opens on (the month,
    quarter and year to the as-of date, and the month before, for the rank change), and one node of each
    level in every stored period."""
    scope = HO if user == "exec" else scope_of(user)
    mine = stored.visible_orgs(scope)
    nodes = [o for o in sorted(stored.sql("select org_id from orgs where level <= 2").org_id) if o in mine]
    every = {"HO", "R01", "R01B01"} if user == "exec" else {"R02", "R02B01"}
    held = stored_periods(stored)
    as_of = held[-1][0].as_of
    opened = [
        (p, g) for p, g in held if p.end >= as_of or p == Period.containing("month", as_of, as_of).shifted(-1)
    ]
    assert len(opened) == 4
    compared = 0
    for p, prog in held:
        for org in nodes if (p, prog) in opened else sorted(every):
            compared += scorecard.has_data(assert_same(stored, scope, org, p, prog))
    assert compared > (120 if user == "exec" else 60)


def test_the_live_follow_through_is_blended_into_the_stored_points(stored, period, progress, loop_actions):  # noqa: F811
    for org in ("HO", "R01", "R02", "R03", "R02B01"):
        rows = scorecard.ranking(assert_same(stored, HO, org, period, progress))
        assert rows.loop_score.notna().any(), org  # the actions due this month reach the stored ranking


def test_other_settings_are_scored_from_the_events(stored, period, progress):  # noqa: F811
    cfg = scorecard.config()
    other = dataclasses.replace(cfg, cap=cfg.cap + 0.3)
    assert from_store(stored, HO, "R01", period, progress, other).empty
    got = scorecard.scores(stored, HO, "R01", period, progress, other)
    pd.testing.assert_frame_equal(
        got, scorecard.scores(stored, HO, "R01", period, progress, other, use_stored=False)
    )
    assert not got.equals(scorecard.scores(stored, HO, "R01", period, progress))
    team = stored.sql("select org_id from orgs where level = 3 order by 1 limit 1").org_id.iloc[0]
    assert from_store(stored, HO, team, period, progress).empty  # its children's tier is not stored


def rebuilt(path: Path, *sql: str, day: dt.date | None = None) -> pd.DataFrame:
    """Run `sql` on the warehouse, then build its marts and its scorecard (all, or one day); the points."""
    con = duckdb.connect(str(path))
    for statement in sql:
        con.execute(statement)
    marts.build(con, day)
    con.close()
    scorecard_store.build(str(path), day)
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select * from mart_scorecard order by all").df()


def test_a_one_day_build_stores_what_a_full_build_does(bank, tmp_path):
    path = _copy(bank, tmp_path)
    with duckdb.connect(str(path), read_only=True) as con:
        day = con.execute("select max(event_date) from events").fetchone()[0]
    last = f"event_date = date '{day.isoformat()}'"
    before = rebuilt(
        path, f"create table held as select * from events where {last}", f"delete from events where {last}"
    )
    incremental = rebuilt(path, "insert into events select * from held", "drop table held", day=day)
    full = rebuilt(path)
    assert len(full) > 1000
    assert not before.equals(full)  # the day moved some figures
    pd.testing.assert_frame_equal(incremental, full, obj="mart_scorecard")


# ---------------------------------------------------------------- from the attacker's side
def test_a_branch_head_reaches_no_stored_figure_of_another_branch(stored, period, progress, attacks):  # noqa: F811
    """head_r02 asking for another branch's scorecard is refused, stored or not; on their own scorecard the
    stored points of their peers give only a name, a score and a rank, as when scored from the events."""
    head = scope_of("head_r02")
    mine = stored.visible_orgs(head)
    others = sorted(set(stored.sql("select org_id from orgs where level <= 2").org_id) - mine)
    for org in others:
        attacks.append(f"scorecard_scores (stored) for {org}")
        with pytest.raises(ScopeError):
            from_store(stored, head, org, period, progress)
        with pytest.raises(ScopeError):
            scorecard.scores(stored, head, org, period, progress)
    own = assert_same(stored, head, "R02", period, progress)
    peers = own[~own.org_id.isin(mine)]
    assert len(peers) >= 2 and set(peers.org_id) <= set(others)
    shown = [c for c in own.columns if c not in PEER_COLUMNS]
    assert peers[shown].isna().all().all()
    for bad in ("R01' or '1'='1", "R01;drop table mart_scorecard"):
        with pytest.raises((ValueError, ScopeError)):  # refused by the org check or the parameter's type
            scorecard.scores(stored, head, bad, period, progress)
