"""Door 1: head_r02 tries to work out other branches' figures from the scorecard.

Two roads: re-weighting the ranking from the command line (`--param w_deposits=100 r_deposits=minmax`,
`cap=1000000 progress=1`), and solving for the tier's best and worst from their own nodes' values and scores
as the scorecard page, the command line and the report show them. Both must give nothing.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cockpit.core.periods import Period
from cockpit.domain import scorecard
from cockpit.ops import cli
from cockpit.reports import data as report_data
from cockpit.state import auth
from cockpit.warehouse.layer import Scope

EXEC = Scope("x", "executive", ("HO",))


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = cli.main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture(scope="module")
def period(as_of) -> Period:
    return Period.containing("month", as_of, as_of)


def _period_params(period: Period, org: str) -> list[str]:
    given = {"org_id": org, "start": period.start, "end": period.to_date}
    given |= {"period_type": period.kind, "period_start": period.start}
    return [a for k, v in given.items() for a in ("--param", f"{k}={v}")]


OVERRIDES = [
    ["w_deposits=100", "r_deposits=minmax"],
    ["r_deposits=capped", "cap=1000000", "progress=1"],
    ["w_response_seconds=100"],
    ["lower=deposits"],
    ["r_sla_breach_rate=percentile"],
    ["g_satisfaction=0"],
]


@pytest.mark.parametrize("override", OVERRIDES, ids=lambda o: o[0])
def test_the_command_line_cannot_reweight_the_scorecard(capsys, period, attacks, override):
    args = ["query", "scorecard_scores", "--as", "head_r02", *_period_params(period, "R02")]
    rc, out, err = run_cli(capsys, *args, *[a for o in override for a in ("--param", o)])
    attacks.append("scorecard override")
    assert rc == 2, out
    assert "set by the cockpit's configuration" in err and "Traceback" not in err
    assert out == ""


def _seen_by_head(capsys, wh, period: Period) -> pd.DataFrame:
    """Every scorecard row head_r02 can obtain for the nodes they may pick: what the scorecard page lays out
    (the figures `scorecard.scores` gives it; the page formats them), what `cockpit query scorecard_scores`
    prints, and the report's ranking rows."""
    from cockpit.core import calendar

    head = auth.get_user("head_r02")
    own = sorted(wh.visible_orgs(head.scope))
    cal = wh.run("calendar_days", head.scope, {"start": period.start, "end": period.end})
    progress = calendar.progress(cal, period)
    frames = []
    for org in own:
        frames.append(scorecard.scores(wh, head.scope, org, period, progress))
        rc, out, err = run_cli(
            capsys,
            "query",
            "scorecard_scores",
            "--as",
            "head_r02",
            "--format",
            "json",
            *_period_params(period, org),
        )
        assert rc == 0, err
        frames.append(pd.DataFrame(json.loads(out)))
    report = report_data.collect(wh, head.scope, "R02", period, "en")
    assert set(report.ranking.org_id) <= set(own)
    return pd.concat([f for f in frames if not f.empty] + [report.ranking], ignore_index=True)


def _solved_bounds(rows: pd.DataFrame) -> list[float]:
    """Values at which the rule would give 0 and 1, solved from own nodes' (value, 0..1 score) pairs: any rule
    linear in the value (min-max, bands) is pinned down by two nodes scored strictly between 0 and 1."""
    pts = rows[(rows.norm > 1e-9) & (rows.norm < 1 - 1e-9)].drop_duplicates(["value", "norm"])
    if pts.value.nunique() < 2:
        return []
    slope, intercept = np.polyfit(pts.norm.astype(float), pts.value.astype(float), 1)
    return [intercept, intercept + slope]


def test_no_peer_figure_can_be_solved_from_what_a_branch_head_sees(capsys, wh, period, attacks):
    seen = _seen_by_head(capsys, wh, period)
    head = auth.get_user("head_r02")
    own = wh.visible_orgs(head.scope)
    truth = wh.run("metric_values", EXEC, {"start": period.start, "end": period.to_date})
    truth = truth[~truth.org_id.isin(own) & truth.value.notna()]
    published = {getattr(i, k, None) for i in scorecard.config().indicators for k in ("floor", "goal")}
    detail = seen[seen.indicator.notna() & ~seen.indicator.isin(["total", scorecard.LOOP])]
    detail = detail[detail.org_id.isin(own) & detail.value.notna() & detail.norm.notna()]
    detail = detail.drop_duplicates(["org_id", "indicator"])
    assert not detail.empty
    found = []
    for (level, metric), rows in detail.groupby(["level", "indicator"]):
        attacks.append("scorecard inference")
        tier = truth[(truth.level == level) & (truth.metric == metric)]
        for v in _solved_bounds(rows):
            if any(p is not None and abs(v - p) < 1e-9 for p in published):
                continue  # a floor or goal of scorecard.yaml: public, not a peer's figure
            hits = tier[np.isclose(tier.value.astype(float), v, rtol=1e-6, atol=1e-9)]
            found += [(metric, org, float(v)) for org in hits.org_id]
    assert not found, f"peers' figures solved from head_r02's own scores: {found}"
    peers = seen[~seen.org_id.isin(own) & seen.org_id.notna()]
    assert peers.drop(columns=["org_id", "name_zh", "name_en", "score", "rank"]).isna().all().all()


def test_a_nodes_scores_do_not_move_when_its_peers_figures_do(wh, period):
    """The rule itself: every indicator's 0..1 score depends on the node's own value (and target) only, so the
    same own figures score the same whatever the tier holds."""
    from cockpit.core import calendar

    cal = wh.run("calendar_days", EXEC, {"start": period.start, "end": period.end})
    rows = scorecard.scores(wh, EXEC, "HO", period, calendar.progress(cal, period))
    cfg = {i.metric: i for i in scorecard.config().indicators}
    banded = rows[rows.indicator.isin([m for m, i in cfg.items() if i.rule == "bands"]) & rows.value.notna()]
    assert not banded.empty
    for _, r in banded.iterrows():
        ind = cfg[r.indicator]
        expected = min(max((r.value - ind.floor) / (ind.goal - ind.floor), 0), 1)
        assert r.norm == pytest.approx(expected), (r.org_id, r.indicator)
