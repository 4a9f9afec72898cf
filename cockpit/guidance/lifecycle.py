"""Lifecycle changes nobody reached: a customer's state changed and no channel touched them within
REACH_DAYS days (the linkage the source articles ask for).

Rule: over the recent window, coverage = reached / changes for the node; an insight when at least
MIN_UNREACHED changes went unreached, naming the child with the lowest coverage against the median
coverage of the node's children. News or standing: the same window LOOKBACK_DAYS earlier is read too;
when coverage is not DROP_POINTS or more below it, the condition is standing (one note, severity 1,
marked standing); otherwise severity rises as coverage falls below 50% and 70%.
"""

from __future__ import annotations

import datetime as dt

from cockpit.guidance import Context, Insight
from cockpit.guidance.names import named, org_label

REACH_DAYS = 7
MIN_UNREACHED = 3
LOOKBACK_DAYS = 91
DROP_POINTS = 0.1


def find(ctx: Context) -> list[Insight]:
    df = ctx.run(
        "guidance_lifecycle_unreached",
        org_id=ctx.org_id,
        start=ctx.window_start,
        end=ctx.period.to_date,
        days=REACH_DAYS,
    )
    if df.empty or df.unreached.sum() < MIN_UNREACHED:
        return []
    df = df.assign(coverage=1 - df.unreached / df.changes)
    coverage = 1 - df.unreached.sum() / df.changes.sum()
    back = dt.timedelta(days=LOOKBACK_DAYS)
    before = ctx.run(
        "guidance_lifecycle_unreached",
        org_id=ctx.org_id,
        start=ctx.window_start - back,
        end=ctx.period.to_date - back,
        days=REACH_DAYS,
    )
    coverage_before = 1 - before.unreached.sum() / before.changes.sum() if before.changes.sum() else None
    standing = coverage_before is not None and coverage > coverage_before - DROP_POINTS
    worst = df.sort_values("coverage").iloc[0]
    return [
        Insight(
            "lifecycle_unreached",
            "frontline",
            1 if standing else 3 if coverage < 0.5 else 2 if coverage < 0.7 else 1,
            ctx.org_id,
            {
                "changes": (df.changes.sum(), "count"),
                "unreached": (df.unreached.sum(), "count"),
                "coverage": (coverage, "pct"),
                "days": (REACH_DAYS, "count"),
                "worst_coverage": (worst.coverage, "pct"),
                "median_coverage": (df.coverage.median(), "pct"),
                "coverage_before": (coverage_before if coverage_before is not None else float("nan"), "pct"),
            },
            {"worst": org_label(ctx, worst.org_id)},
            named(ctx, df[["org_id", "changes", "unreached", "coverage"]], "org_id"),
            key=("lifecycle_unreached", ctx.org_id),
            standing=bool(standing),
        )
    ]
