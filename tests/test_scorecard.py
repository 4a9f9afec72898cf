"""Branch scorecards: scores and ranks equal an independent pandas computation; peers only as ranking rows."""

import numpy as np
import pandas as pd
import pytest

from cockpit.core import calendar
from cockpit.core.periods import Period
from cockpit.domain import metrics, scorecard
from cockpit.warehouse.layer import PEER_COLUMNS, QueryError, Scope, ScopeError
from seed.demo import storylines as sl

EXEC = Scope("t", "executive", ("HO",))
HEAD = Scope("h", "branch_head", (sl.LAGGING_REGION,))


@pytest.fixture(scope="module")
def period(as_of):
    return Period.containing("month", as_of, as_of)


@pytest.fixture(scope="module")
def progress(wh, period):
    return calendar.progress(
        wh.run("calendar_days", EXEC, {"start": period.start, "end": period.end}), period
    )


def independent_scores(wh, period, progress, cfg) -> pd.DataFrame:
    """Every node's score, sibling rank and tier rank, computed in pandas from metric values and targets."""
    vals = wh.run("metric_values", EXEC, {"start": period.start, "end": period.to_date})
    tg = wh.sql(
        "select org_id, metric, target_value from targets where period_type = :k and period_start = :s",
        {"k": period.kind, "s": period.start},
    )
    orgs = wh.sql("select org_id, parent_id, level from orgs")
    rows = []
    for ind in cfg.indicators:
        m = metrics.get(ind.metric)
        v = vals[vals.metric == ind.metric][["org_id", "value", "opening"]].merge(orgs, on="org_id")
        v = v.merge(tg[tg.metric == ind.metric][["org_id", "target_value"]], on="org_id", how="left")
        sign = 1 if m.higher_is_better else -1
        base = v.opening.fillna(0) if m.is_stock else 0.0
        increase = m.is_stock & v.opening.notna() & (v.target_value > v.opening)
        v["due"] = np.where(
            increase,
            base + (v.target_value - base) * progress.ratio,
            v.target_value * (1 if m.is_stock else progress.ratio),
        )
        if ind.rule == "capped":
            made = np.where(increase | (not m.is_stock), (v.value - base) / (v.due - base), v.value / v.due)
            ratio = np.where(sign > 0, made, np.where(v.value > 0, v.due / v.value, cfg.cap))
            v["norm"] = np.where((v.due > 0) & v.value.notna(), np.clip(ratio, 0, cfg.cap) / cfg.cap, np.nan)
        else:  # bands: from the floor (0) to the goal (1), nothing read from other nodes
            v["norm"] = ((v.value - ind.floor) / (ind.goal - ind.floor)).clip(0, 1)
        v["weight"] = ind.weight
        rows.append(v[["org_id", "parent_id", "level", "norm", "weight"]])
    allrows = pd.concat(rows)
    scored = allrows[allrows.norm.notna()]
    total_w = scored.groupby("org_id").weight.sum()
    scored = scored.assign(points=100 * scored.weight * scored.norm / scored.org_id.map(total_w))
    out = orgs.set_index("org_id").join(scored.groupby("org_id").points.sum().rename("score")).reset_index()
    out["key"] = out.score.fillna(-1)
    out["rank"] = out.groupby("parent_id", dropna=False).key.rank(method="min", ascending=False).astype(int)
    out["tier_rank"] = out.groupby("level").key.rank(method="min", ascending=False).astype(int)
    return out.set_index("org_id")


def _all_nodes(wh, scope, period, progress, cfg=None):
    """The query's rows for every node, by asking for each parent in turn (summary rows only)."""
    parents = wh.sql("select distinct parent_id from orgs where parent_id is not null").parent_id
    frames = [
        wh.run(
            scorecard.QUERY, scope, scorecard.params(p, period), settings=scorecard.settings(progress, cfg)
        )
        for p in ["HO", *parents]
    ]
    rows = pd.concat([scorecard.ranking(f) for f in frames])
    return rows.drop_duplicates("org_id").set_index("org_id")


def test_scores_and_ranks_equal_an_independent_computation(wh, period, progress):
    cfg = scorecard.config()
    expected = independent_scores(wh, period, progress, cfg)
    got = _all_nodes(wh, EXEC, period, progress)
    assert set(got.index) == set(expected.index)
    for org in got.index:
        assert got.loc[org, "score"] == pytest.approx(expected.loc[org, "score"], abs=1e-9), org
        assert (got.loc[org, "rank"], got.loc[org, "tier_rank"]) == (
            expected.loc[org, "rank"],
            expected.loc[org, "tier_rank"],
        ), org
    assert got.score.between(0, 100).all()


TIES = """
cap: 1.2
dimensions:
  risk:
    name: {zh: 风险, en: Risk}
    indicators:
      complaint_rate: {weight: 60, rule: bands, floor: 0.02, goal: 0}
      active_ratio: {weight: 40, rule: bands, floor: 0.5, goal: 0.6}
"""


def test_ties_share_a_normalised_score_and_a_rank(wh, period, progress):
    cfg = scorecard.load(TIES)
    expected = independent_scores(wh, period, progress, cfg)
    got = _all_nodes(wh, EXEC, period, progress, cfg)
    managers = got[got.level.astype(int) == 4]
    assert managers.score.duplicated().any(), "the demo bank should hold tied managers for this configuration"
    for org in got.index:
        assert got.loc[org, "score"] == pytest.approx(expected.loc[org, "score"], abs=1e-9), org
        assert got.loc[org, "tier_rank"] == expected.loc[org, "tier_rank"], org
    tied = managers[managers.score.duplicated(keep=False)]
    assert tied.groupby("score").tier_rank.nunique().eq(1).all()


def test_the_lagging_region_loses_most_on_deposits_and_ranks_where_its_numbers_put_it(wh, period, progress):
    rows = wh.run(
        scorecard.QUERY, EXEC, scorecard.params("HO", period), settings=scorecard.settings(progress)
    )
    deposits = rows[(rows.indicator == "deposits") & (rows.level == 1)].set_index("org_id")
    assert deposits.norm.idxmin() == sl.LAGGING_REGION
    assert deposits.loc[sl.LAGGING_REGION, "points"] < deposits.loc[sl.LAGGING_REGION, "max_points"]
    expected = independent_scores(wh, period, progress, scorecard.config())
    regions = expected[expected.level == 1].sort_values("score", ascending=False)
    got = scorecard.ranking(rows).set_index("org_id")
    assert got.loc[sl.LAGGING_REGION, "rank"] == regions.index.get_loc(sl.LAGGING_REGION) + 1
    lost = scorecard.breakdown(rows, sl.LAGGING_REGION).set_index("indicator")
    assert lost.loc["deposits", "points_lost"] == pytest.approx(
        lost.loc["deposits", "max_points"] - lost.loc["deposits", "points"]
    )


def test_capped_scores_judge_targets_as_the_targets_page_does(wh, period, progress):
    """A results indicator scores min(pace / time progress, cap) / cap, the pace of cockpit.domain.targets."""
    from cockpit.domain import targets

    cfg = scorecard.config()
    rows = wh.run(
        scorecard.QUERY, EXEC, scorecard.params("HO", period), settings=scorecard.settings(progress)
    )
    frames = {
        k: wh.run("metric_values", EXEC, {"start": a, "end": b, "parent": "HO"})
        for k, (a, b) in targets.windows(period).items()
    }
    tg = wh.run(
        "target_values", EXEC, {"period_type": period.kind, "period_start": period.start, "parent": "HO"}
    )
    for org in ("R01", "R02", "R03"):
        for metric in ("deposits", "sales"):
            view = targets.node_view(frames, tg, org, metric, progress)
            already_there = metrics.get(metric).is_stock and view.target <= targets.opening(
                frames, org, metric
            )
            ratio = (
                view.pace if already_there else view.pace / progress.ratio
            )  # a balance at its target: no pro-rating
            got = rows[(rows.org_id == org) & (rows.indicator == metric)].norm.iloc[0]
            assert got == pytest.approx(min(max(ratio, 0), cfg.cap) / cfg.cap), (org, metric)


def test_a_branch_heads_drill_down_never_returns_another_branchs_rows(wh, period, progress):
    own = set(
        wh.sql(
            "select descendant_id from org_closure where ancestor_id = :o", {"o": sl.LAGGING_REGION}
        ).descendant_id
    )
    siblings = set(
        wh.sql(
            "select org_id from orgs where parent_id = 'HO' and org_id <> :o", {"o": sl.LAGGING_REGION}
        ).org_id
    )
    for org in sorted(own):
        rows = wh.run(
            scorecard.QUERY, HEAD, scorecard.params(org, period), settings=scorecard.settings(progress)
        )
        outside = rows[~rows.org_id.isin(own)]
        assert set(outside.org_id) <= siblings, org
        if org != sl.LAGGING_REGION:
            assert outside.empty, org
        hidden = [c for c in rows.columns if c not in PEER_COLUMNS]
        assert outside[hidden].isna().all().all(), org
        assert scorecard.breakdown(rows, "R01").empty
    peers = scorecard.ranking(
        wh.run(
            scorecard.QUERY,
            HEAD,
            scorecard.params(sl.LAGGING_REGION, period),
            settings=scorecard.settings(progress),
        )
    )
    assert set(peers[peers.relation == "peer"].org_id) == siblings
    assert peers[peers.relation == "peer"].score.notna().all()
    for other in ("R01", "R01B02", "HO"):
        with pytest.raises(ScopeError):
            wh.run(
                scorecard.QUERY, HEAD, scorecard.params(other, period), settings=scorecard.settings(progress)
            )


def test_a_manager_sees_team_mates_only_as_ranking_rows(wh, period, progress):
    me = Scope("m", "manager", ("R01B01T1M1",))
    rows = scorecard.ranking(
        wh.run(
            scorecard.QUERY, me, scorecard.params("R01B01T1M1", period), settings=scorecard.settings(progress)
        )
    )
    assert rows[rows.relation == "self"].org_id.tolist() == ["R01B01T1M1"]
    assert set(rows[rows.relation == "peer"].org_id) == {"R01B01T1M2", "R01B01T1M3"} & set(
        wh.sql("select org_id from orgs").org_id
    )
    assert rows[rows.relation == "peer"].tier_rank.isna().all()


def test_anonymised_peers_show_no_names_or_ids(wh, period, progress, monkeypatch):
    monkeypatch.setenv("COCKPIT_ANONYMISE_PEERS", "1")
    rows = scorecard.ranking(
        wh.run(
            scorecard.QUERY,
            HEAD,
            scorecard.params(sl.LAGGING_REGION, period),
            settings=scorecard.settings(progress),
        )
    )
    peers = rows[rows.relation == "peer"]
    names = set(wh.sql("select name_en from orgs where parent_id = 'HO'").name_en)
    assert len(peers) == 2 and peers.org_id.isna().all()
    assert set(peers.name_en) == {"Peer 1", "Peer 2"} and not set(peers.name_en) & names
    assert rows[rows.relation == "self"].name_en.iloc[0] in names


def test_an_included_querys_parameters_cannot_be_set_by_a_caller(wh, period, progress):
    with pytest.raises(QueryError, match="has no parameter 'parent'"):
        wh.run(
            "scorecard_scores",
            HEAD,
            {**scorecard.params(sl.LAGGING_REGION, period), "parent": "R01"},
        )


@pytest.mark.parametrize(
    "text,message",
    [
        (TIES.replace("60", "50"), "add up to 90"),
        (TIES.replace("rule: bands, floor: 0.02", "rule: minmax, floor: 0.02"), "no rule may compare a node"),
        (TIES.replace("floor: 0.02, goal: 0", "floor: 0, goal: 0.02"), "goal must be below its floor"),
        (TIES.replace("active_ratio", "upgrades"), "a count grows with the node"),
        (TIES.replace("complaint_rate", "profit"), "unknown metric 'profit'"),
    ],
)
def test_a_bad_configuration_is_refused_with_the_reason(text, message):
    with pytest.raises((scorecard.ScorecardError, metrics.MetricError), match=message):
        scorecard.load(text)


def test_the_shipped_configuration_covers_the_six_dimensions_and_adds_up_to_100():
    cfg = scorecard.config()
    assert list(cfg.dimensions) == ["results", "growth", "customers", "channels", "service", "risk"]
    assert sum(i.weight for i in cfg.indicators) == 100


def test_rank_change_compares_with_the_previous_period_for_own_nodes_only():
    def frame(ranks):
        return pd.DataFrame(
            [
                {"org_id": o, "relation": r, "rank": k, "score": 50.0, "indicator": "total" if r else None}
                for o, r, k in ranks
            ]
        )

    now = frame([("A", "self", 1), ("B", "child", 2), ("C", None, 3)])
    before = frame([("A", "self", 3), ("B", "child", 2), ("C", None, 1)])
    got = scorecard.ranking(now, before).set_index("org_id")
    assert got.loc["A", "rank_change"] == 2 and got.loc["B", "rank_change"] == 0
    assert got.loc["C", "relation"] == "peer" and got.loc["C", "rank_change"] is None


def test_scorecard_page_runs_for_each_role(app):
    for user in ("exec", "head_r02", "manager1"):
        at = app(user)
        at.switch_page("pages/scorecard.py").run()
        assert not at.exception, user
        assert not at.error, (user, [e.value for e in at.error])
        assert len(at.metric) == 5, user
    assert any("Peers show only" in c.value for c in at.caption)


def test_the_rank_tiles_show_the_rank_with_how_many_it_is_among_beneath_it(app, wh):
    """A manager's tier is every manager of the bank: the tile shows the rank alone as its value (a long
    "N of M" was cut off) and "of M" beneath it, M being the number of nodes on the manager's level."""
    at = app("manager1")
    at.switch_page("pages/scorecard.py").run()
    assert not at.exception
    (level,) = wh.sql("select level from orgs where org_id = 'R01B01T1M1'").level
    tier = len(wh.sql("select org_id from orgs where level = :l", {"l": int(level)}))
    tile = next(m for m in at.metric if m.label == "Rank in the whole tier")
    assert tile.delta == f"of {tier:,}"
    assert 1 <= int(tile.value.replace(",", "")) <= tier
