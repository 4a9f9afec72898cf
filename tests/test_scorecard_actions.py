"""Action follow-through in the scorecard: each total is the other indicators' total blended with the
indicator at
its configured weight, ranks and quartiles follow the blended total, weight 0 gives the old totals, and a
branch head never sees a peer's action figures."""

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from test_outcome import pg_wh  # noqa: F401  (the xs bank on a throwaway PostgreSQL server)
from test_scorecard import independent_scores, period, progress  # noqa: F401  (the month of the as-of date)

from cockpit.domain import outcome, scorecard
from cockpit.state import actions, auth
from cockpit.warehouse.layer import PEER_COLUMNS, Scope, ScopeError
from seed.demo import storylines as sl

EXEC = Scope("t", "executive", ("HO",))


@pytest.fixture(scope="module")
def loop_actions(wh, as_of, period):
    """Actions due this period on every region: on time with a measured effect (done 40 days ago, before it
    was
    due), on time, overdue and open, late, dismissed, and one due after the as-of date."""
    boss = auth.get_user("exec")
    in_window = lambda days: max(period.start, as_of - dt.timedelta(days=days))  # noqa: E731
    custs = [
        int(c)
        for c in wh.sql(
            "select customer_id from customers where org_id like 'R01B01%' order by customer_id limit 15"
        ).customer_id
    ]
    peer_custs = [
        int(c)
        for c in wh.sql(
            "select customer_id from customers where org_id like 'R03B01%' order by customer_id limit 15"
        ).customer_id
    ]
    plan = [
        ("R01B01", in_window(1), "done", as_of - dt.timedelta(days=40), custs),
        ("R01B02", in_window(2), "done", in_window(3), []),
        ("R02B01T1", in_window(2), "open", None, []),
        ("R02B02", in_window(6), "done", as_of, []),
        ("R02B01", in_window(1), "done", in_window(1), []),
        ("R03B01", in_window(4), "done", as_of - dt.timedelta(days=35), peer_custs),
        ("R03B02", in_window(1), "dismissed", None, []),
        ("R03", as_of + dt.timedelta(days=5), "open", None, []),
    ]
    made = []
    for org, due, status, done_on, customers in plan:
        a = actions.create(
            wh, boss, title=f"scorecard loop {org}", owner="exec", due=due, org_id=org, customers=customers
        )
        if status == "done":
            a = actions.update(wh, boss, a.id, a.version, status="done", done_on=done_on)
        elif status == "dismissed":
            a = actions.update(wh, boss, a.id, a.version, status="dismissed", reason="not needed")
        made.append(a)
    return made


def expected_loop(wh, period) -> dict[str, float]:
    """Each node's indicator score from the actions themselves: due in the period (dismissed left out), done
    by the
    due date, effect = mean gain in next-stage rate of the measured customers (the outcome comparison)."""
    paths = wh.sql("select org_id, path from orgs").set_index("org_id").path
    every = actions.all_actions()
    due_now = [a for a in every if period.start <= a.due_date <= period.to_date and a.status != "dismissed"]
    cust = outcome.per_customer(wh, EXEC, every)
    measured = cust[(cust.complete == 1) & (cust.controls > 0)]
    out = {}
    for node in paths.index:
        due = [a for a in due_now if f"/{node}/" in paths[a.org_id]]
        if not due:
            continue
        completion = sum(a.status == "done" and a.done_on <= a.due_date for a in due) / len(due)
        m = measured[measured.action_id.isin([a.id for a in due])]
        if m.empty:
            out[node] = completion
        else:
            gain = float((m.reached_next.astype(float) - m.control_reached.astype(float)).mean())
            span = outcome.EFFECT_SPAN
            out[node] = (completion + min(max((gain + span) / (2 * span), 0.0), 1.0)) / 2
    return out


def all_nodes(wh, scope, period, progress, cfg=None) -> pd.DataFrame:
    """The scorecard's summary row of every node, asking for each parent in turn (as the page would)."""
    parents = wh.sql("select distinct parent_id from orgs where parent_id is not null").parent_id
    frames = [
        scorecard.ranking(scorecard.scores(wh, scope, p, period, progress, cfg)) for p in ["HO", *parents]
    ]
    return pd.concat(frames).drop_duplicates("org_id").set_index("org_id")


def test_totals_blend_the_indicator_at_its_weight_and_ranks_follow_the_blended_total(
    wh, period, progress, loop_actions
):
    cfg = scorecard.config()
    w = cfg.loop_weight
    assert w > 0
    old = independent_scores(wh, period, progress, cfg)
    loop = expected_loop(wh, period)
    assert {"R01", "R02", "R03", "R01B01", "R02B01T1"} <= set(loop) and "R03B02" not in loop
    assert loop["R01B01"] != loop["R01B02"]  # one carries a measured effect, the other completion alone
    want = pd.Series(
        {o: (s * (100 - w) / 100 + loop[o] * w if o in loop else s) for o, s in old.score.items()}
    )
    got = all_nodes(wh, EXEC, period, progress)
    assert set(got.index) == set(want.index)
    for org in got.index:
        assert got.loc[org, "score"] == pytest.approx(want[org], abs=1e-9), org
    key = want.fillna(-1)
    parent = old.parent_id.astype(object).where(old.parent_id.notna(), "")
    rank = key.groupby(parent).rank(method="min", ascending=False).astype(int)
    tier = key.groupby(old.level).rank(method="min", ascending=False).astype(int)
    size = old.level.map(old.level.value_counts())
    for org in got.index:
        assert (got.loc[org, "rank"], got.loc[org, "tier_rank"]) == (rank[org], tier[org]), org
        assert got.loc[org, "quartile"] == 1 + int(np.floor(4 * (tier[org] - 1) / size[org])), org


def test_the_breakdown_adds_up_to_the_total_with_the_indicators_own_row(wh, period, progress, loop_actions):
    cfg = scorecard.config()
    rows = scorecard.scores(wh, EXEC, "HO", period, progress)
    loop = expected_loop(wh, period)
    paths = wh.sql("select org_id, path from orgs").set_index("org_id").path
    for org in ("HO", "R01", "R02", "R03"):
        detail = scorecard.breakdown(rows, org)
        total = scorecard.ranking(rows).set_index("org_id").loc[org, "score"]
        assert detail.points.astype(float).sum() == pytest.approx(total), org
        row = detail[detail.indicator == scorecard.LOOP].iloc[0]
        assert row.norm == pytest.approx(loop[org]) and row.max_points == cfg.loop_weight, org
        due = [
            a
            for a in actions.all_actions()
            if period.start <= a.due_date <= period.to_date
            and a.status != "dismissed"
            and f"/{org}/" in paths[a.org_id]
        ]
        assert row.actions_due == len(due), org
        assert row.actions_done_on_time == sum(a.status == "done" and a.done_on <= a.due_date for a in due), (
            org
        )
        assert row.value == pytest.approx(row.actions_done_on_time / row.actions_due), org
        assert scorecard.ranking(rows).set_index("org_id").loc[org, "loop_score"] == pytest.approx(
            loop[org]
        ), org
    assert scorecard.breakdown(rows, "R01").action_effect.notna().any()  # R01B01's customers were measured
    text = scorecard.loop_summary(scorecard.breakdown(rows, "R02"), "en")
    assert text.startswith("Action follow-through:") and "done on time" in text


def test_weight_0_gives_exactly_the_old_totals(wh, period, progress, loop_actions):
    cfg = scorecard.config()
    off = dataclasses.replace(cfg, loop_weight=0.0)
    old = independent_scores(wh, period, progress, cfg)
    got = all_nodes(wh, EXEC, period, progress, off)
    for org in got.index:
        assert got.loc[org, "score"] == pytest.approx(old.loc[org, "score"], abs=1e-9), org
    # even with the indicator's figures bound, weight 0 leaves every total as without them (up to the engine's
    # summation order, which may change in the last bit with the plan)
    params, settings = scorecard.params("HO", period), scorecard.settings(progress, off)
    bare = wh.run(scorecard.QUERY, EXEC, params, settings=settings)
    bound = wh.run(
        scorecard.QUERY,
        EXEC,
        params,
        rows=scorecard.loop_rows(wh, EXEC, "HO", period, cfg),
        settings=settings,
    )
    assert bare.org_id.tolist() == bound.org_id.tolist() and bare["rank"].tolist() == bound["rank"].tolist()
    assert np.allclose(bare.score.astype(float), bound.score.astype(float), rtol=0, atol=1e-9)
    assert scorecard.LOOP not in set(bound.indicator)
    assert scorecard.loop_rows(wh, EXEC, "HO", period, off).empty


def test_a_node_without_actions_due_keeps_its_total_and_is_told_so(wh, period, progress, loop_actions):
    rows = scorecard.scores(wh, EXEC, "R03B02", period, progress)
    detail = scorecard.breakdown(rows, "R03B02")
    loop = detail[detail.indicator == scorecard.LOOP].iloc[0]
    assert loop.actions_due == 0 and pd.isna(loop.norm) and pd.isna(loop.max_points)
    old = wh.run(
        scorecard.QUERY, EXEC, scorecard.params("R03B02", period), settings=scorecard.settings(progress)
    )
    assert scorecard.ranking(rows).set_index("org_id").loc["R03B02", "score"] == pytest.approx(
        scorecard.ranking(old).set_index("org_id").loc["R03B02", "score"], abs=1e-9
    )
    assert "not scored" in scorecard.loop_summary(detail, "en")


@pytest.mark.parametrize(
    "text,message",
    [
        ("action_loop: {weight: 100, name: {zh: 闭环, en: Loop}}", "below 100"),
        ("action_loop: {weight: -1, name: {zh: 闭环, en: Loop}}", "at least 0"),
        ("action_loop: {weight: 5}", "needs a name"),
    ],
)
def test_a_bad_action_loop_weight_is_refused(text, message):
    base = scorecard.CONFIG.read_text(encoding="utf-8")
    start = base.index("\naction_loop:") + 1
    end = base.index("dimensions:")
    with pytest.raises(scorecard.ScorecardError, match=message):
        scorecard.load(base[:start] + text + "\n" + base[end:])


def test_a_branch_heads_scorecard_never_shows_a_peers_action_figures(
    wh, period, progress, loop_actions, attacks
):
    head = auth.get_user("head_r02").scope
    assert head.org_ids == (sl.LAGGING_REGION,)
    own = wh.visible_orgs(head)
    sent = scorecard.loop_rows(wh, head, sl.LAGGING_REGION, period)
    peers_sent = sent[~sent.org_id.isin(own)]
    assert {"R01", "R03"} <= set(peers_sent.org_id)  # peers are scored on their own actions ...
    assert (
        peers_sent[["due", "done_on_time", "completion", "effect"]].isna().all().all()
    )  # ... but only the score goes in
    rows = scorecard.scores(wh, head, sl.LAGGING_REGION, period, progress)
    peer_rows = rows[~rows.org_id.isin(own)]
    assert (
        set(peer_rows.org_id) == {"R01", "R03"} and len(peer_rows) == 2
    )  # one ranking row each, no indicator rows
    hidden = [c for c in rows.columns if c not in PEER_COLUMNS]
    assert peer_rows[hidden].isna().all().all()
    assert scorecard.breakdown(rows, "R01").empty and scorecard.breakdown(rows, "R03").empty
    # the peers' scores are those the executive sees (their actions count for them as for everyone)
    mine = scorecard.ranking(rows).set_index("org_id").score
    theirs = scorecard.ranking(scorecard.scores(wh, EXEC, "HO", period, progress)).set_index("org_id").score
    for peer in ("R01", "R03"):
        assert mine[peer] == pytest.approx(theirs[peer])
    for other in ("R01", "R03B01", "HO"):
        attacks.append("scorecard action figures of another branch")
        with pytest.raises(ScopeError):
            scorecard.scores(wh, head, other, period, progress)
        with pytest.raises(ScopeError):
            scorecard.loop_rows(wh, head, other, period)


def test_scorecard_page_shows_the_action_follow_through_row_and_its_rule(app, wh, loop_actions):
    at = app("exec")
    at.switch_page("pages/scorecard.py").run()
    assert not at.exception and not at.error
    detail = [d.value for d in at.dataframe if "Action follow-through" in d.value.to_string()]
    assert detail, "no action follow-through row in the indicator table"
    assert any(
        v.startswith("Action follow-through:") and "done on time" in v for v in (m.value for m in at.markdown)
    )
    assert any("neither gains nor loses" in c.value for c in at.caption)
    assert any(
        "Action follow-through" in d.value.columns for d in at.dataframe
    )  # a column of the children's table
    head = app("head_r02")
    head.switch_page("pages/scorecard.py").run()
    assert not head.exception and not head.error
    shown = " ".join([*(d.value.to_string() for d in head.dataframe), *(m.value for m in head.markdown)])
    peers = wh.sql(
        "select name_en from orgs where parent_id = 'HO' and org_id <> :o", {"o": sl.LAGGING_REGION}
    ).name_en
    for name in peers:  # peers reach the page only in the ranking chart
        assert name not in shown


@pytest.mark.postgres
def test_the_blended_scorecard_is_the_same_on_postgresql(pg_wh, wh, period, progress, loop_actions):
    for scope, org in ((EXEC, "HO"), (auth.get_user("head_r02").scope, sl.LAGGING_REGION)):
        duck = scorecard.scores(wh, scope, org, period, progress)
        post = scorecard.scores(pg_wh, scope, org, period, progress)
        key = ["org_id", "indicator"]
        duck, post = (
            duck.sort_values(key).reset_index(drop=True),
            post.sort_values(key).reset_index(drop=True),
        )
        assert list(duck.org_id) == list(post.org_id) and list(duck.indicator) == list(post.indicator)
        for col in ("score", "points", "max_points", "norm", "action_effect"):
            assert np.allclose(duck[col].astype(float), post[col].astype(float), equal_nan=True, atol=1e-9), (
                col
            )
        for col in ("rank", "tier_rank", "quartile", "actions_due", "actions_done_on_time"):
            assert (
                duck[col].astype(float).fillna(-1).tolist() == post[col].astype(float).fillna(-1).tolist()
            ), col


def test_reports_rank_on_the_blended_total_and_still_build(wh, period, progress, loop_actions, tmp_path):
    import io
    import subprocess

    from cockpit.reports import data, excel, pdf

    head = auth.get_user("head_r02").scope
    r = data.collect(wh, head, sl.LAGGING_REGION, period, "zh")
    blended = (
        scorecard.ranking(scorecard.scores(wh, head, sl.LAGGING_REGION, period, progress))
        .set_index("org_id")
        .score
    )
    old = (
        scorecard.ranking(
            wh.run(
                scorecard.QUERY,
                head,
                scorecard.params(sl.LAGGING_REGION, period),
                settings=scorecard.settings(progress),
            )
        )
        .set_index("org_id")
        .score
    )
    ranked = r.ranking.set_index("org_id").score
    assert set(ranked.index) == {
        o for o in blended.index if o is not None and o.startswith(sl.LAGGING_REGION)
    }
    for org, score in ranked.items():
        assert score == pytest.approx(blended[org]), org
    assert ranked[sl.LAGGING_REGION] != pytest.approx(
        old[sl.LAGGING_REGION]
    )  # its actions count in the report too
    book = pd.read_excel(io.BytesIO(excel.build(r)), sheet_name="下级排名").set_index("机构代码")
    assert book.loc[sl.LAGGING_REGION, "记分卡总分"] == pytest.approx(blended[sl.LAGGING_REGION])
    assert book.loc[sl.LAGGING_REGION, "闭环执行得分"] == pytest.approx(
        expected_loop(wh, period)[sl.LAGGING_REGION]
    )
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf.build(r))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert f"{blended[sl.LAGGING_REGION]:.1f}" in text
