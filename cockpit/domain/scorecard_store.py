"""Stored scorecard points: each indicator's value, target due, 0..1 score and share of the points for every
org node down to the teams and every month, quarter and year to the as-of date (`mart_periods`), written by
`cockpit build` into mart_scorecard, so that the scorecard page of a node from the sub-branches up reads its
tier and its children's tier instead of scoring the whole tree from the events.

A figure is computed in one place: the build runs `scorecard_scores` itself, with the settings of
scorecard.yaml and the period's time progress, over the whole tree (`build_levels`), and keeps the points of
the levels stored. What comes from the app's state stays live: the action follow-through is bound when the
page reads the stored points, and the query adds it, totals and ranks them as it does when it scores from
the events (cockpit/domain/scorecard.py). What is not stored (teams' and managers' own pages, whose children's
tier is not kept; other settings; a period no longer to the as-of date) is scored from the events.
"""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd

from cockpit.core import calendar
from cockpit.core.periods import Period
from cockpit.domain import scorecard
from cockpit.warehouse.layer import Scope, Warehouse

STORED_LEVEL = 3  # the teams: a sub-branch's (level 2) scorecard ranks its children in their tier
BUILDER = "cockpit-build"
KEEP = ["org_id", "level", "indicator", "value", "due_value", "norm", "max_points"]


def periods(wh: Warehouse, as_of: dt.date, day: dt.date | None = None) -> list[Period]:
    """The periods stored, as the pages ask them on the as-of date: every one of `mart_periods` begun by
    then, or those holding `day`."""
    held = wh.sql("select period_type, period_start from mart_periods order by 1, 2")
    out = [Period(k, pd.Timestamp(s).date(), as_of) for k, s in zip(held.period_type, held.period_start)]
    return [p for p in out if p.start <= as_of and (day is None or p.start <= day <= p.end)]


def rows(wh: Warehouse, root: Scope, period: Period) -> pd.DataFrame:
    """mart_scorecard rows of one period: the points of every node down to STORED_LEVEL, no follow-through."""
    cal = wh.run("calendar_days", root, {"start": period.start, "end": period.end})
    given = scorecard.settings(calendar.progress(cal, period))
    df = wh.run(
        scorecard.QUERY,
        root,
        scorecard.params(root.org_ids[0], period),
        rows=[],
        settings={**given, "build_levels": STORED_LEVEL},
    )
    df = df[df.level.astype(int).le(STORED_LEVEL) & ~df.indicator.isin(["total", scorecard.LOOP])]
    return (
        df[KEEP]
        .rename(columns={"indicator": "metric"})
        .assign(
            period_type=period.kind,
            period_start=period.start,
            window_end=period.to_date,
            settings_key=scorecard.settings_key(given),
        )
    )


def build(target: str, day: dt.date | None = None) -> str:
    """`cockpit build`'s scorecard step, after the marts: every stored period, or those holding `day`."""
    from cockpit.warehouse import scorecard_mart

    t0 = time.perf_counter()
    scorecard_mart.ensure(target)
    wh = Warehouse(target)
    try:
        info = wh.run("warehouse_info", Scope(BUILDER, "executive", ()))
        roots = wh.sql("select org_id from orgs where parent_id is null order by 1").org_id
        root = Scope(BUILDER, "executive", tuple(roots))
        todo = [] if info.empty or roots.empty else periods(wh, pd.Timestamp(info.as_of.iloc[0]).date(), day)
        frames = [rows(wh, root, p) for p in todo]
    finally:
        wh.engine.dispose()
    stored = pd.concat(frames) if frames else pd.DataFrame()
    scorecard_mart.write(target, stored, None if day is None else [(p.kind, p.start) for p in todo])
    return f"scorecard stored in {time.perf_counter() - t0:.2f} s: {len(todo)} periods, {len(stored):,} rows"
