"""Lifecycle changes nobody reached: a customer's state changed and no channel touched them within
REACH_DAYS days (the linkage the source articles ask for).

Rule: over the recent window, coverage = reached / changes for the node; an insight when at least
MIN_UNREACHED changes went unreached, naming the child with the lowest coverage against the median
coverage of the node's children. Severity rises as coverage falls below 50% and 70%.
"""

from __future__ import annotations

from cockpit.guidance import Context, Insight
from cockpit.guidance.names import named, org_label

REACH_DAYS = 7
MIN_UNREACHED = 3


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
    worst = df.sort_values("coverage").iloc[0]
    return [
        Insight(
            "lifecycle_unreached",
            "frontline",
            3 if coverage < 0.5 else 2 if coverage < 0.7 else 1,
            ctx.org_id,
            {
                "changes": (df.changes.sum(), "count"),
                "unreached": (df.unreached.sum(), "count"),
                "coverage": (coverage, "pct"),
                "days": (REACH_DAYS, "count"),
                "worst_coverage": (worst.coverage, "pct"),
                "median_coverage": (df.coverage.median(), "pct"),
            },
            {"worst": org_label(ctx, worst.org_id)},
            named(ctx, df[["org_id", "changes", "unreached", "coverage"]], "org_id"),
        )
    ]
