"""Lifecycle changes nobody reached: a customer's state changed and no channel touched them within
REACH_DAYS days (the linkage the source articles ask for).

Rule: over the recent window, coverage = reached / changes for the node; an insight when at least
MIN_UNREACHED changes went unreached, naming the child with the lowest coverage against the median
coverage of the node's children. News or standing: the same window LOOKBACK_DAYS earlier is read too;
when coverage is not DROP_POINTS or more below it, the condition is standing (one note, severity 1,
marked standing); otherwise severity rises as coverage falls below 50% and 70%.

An untouched cohort: a child whose coverage is at least COHORT_GAP (relative) below the median of the
other children, with a binomial score (reached - n p) / sqrt(n p (1 - p)) of Z_FLAG or lower on at least
MIN_CHANGES changes, and DROP_POINTS or more below its own coverage LOOKBACK_DAYS earlier, is a finding
of its own at that child (news, not the standing note).
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from cockpit.guidance import Context, Insight
from cockpit.guidance.names import named, org_label

REACH_DAYS = 7
MIN_UNREACHED = 3
LOOKBACK_DAYS = 91
DROP_POINTS = 0.1
COHORT_GAP = 0.3
Z_FLAG = -3.5
MIN_CHANGES = 30


def query_params(ctx: Context, back: int = 0) -> dict:
    """The parameters of `guidance_lifecycle_unreached` for the recent window, or the same window `back` days
    earlier (the stored guidance reads every node's children at once)."""
    shift = dt.timedelta(days=back)
    return {
        "org_id": ctx.org_id,
        "start": ctx.window_start - shift,
        "end": ctx.period.to_date - shift,
        "days": REACH_DAYS,
    }


def find(ctx: Context) -> list[Insight]:
    df = ctx.run("guidance_lifecycle_unreached", **query_params(ctx))
    if df.empty or df.unreached.sum() < MIN_UNREACHED:
        return []
    df = df.assign(coverage=1 - df.unreached / df.changes)
    coverage = 1 - df.unreached.sum() / df.changes.sum()
    before = ctx.run("guidance_lifecycle_unreached", **query_params(ctx, LOOKBACK_DAYS))
    coverage_before = 1 - before.unreached.sum() / before.changes.sum() if before.changes.sum() else None
    standing = coverage_before is not None and coverage > coverage_before - DROP_POINTS
    worst = df.sort_values("coverage").iloc[0]
    return [
        *_cohorts(ctx, df, before),
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
        ),
    ]


def _cohorts(ctx: Context, df: pd.DataFrame, before: pd.DataFrame) -> list[Insight]:
    """Children whose lifecycle changes went unreached far more than their siblings' and their own before."""
    past = dict(zip(before.org_id, 1 - before.unreached / before.changes)) if not before.empty else {}
    out = []
    for row in df.sort_values("org_id").itertuples():
        others = df[df.org_id != row.org_id]
        if row.changes < MIN_CHANGES or len(others) < 2 or row.org_id not in past:
            continue
        p = float(others.coverage.median())
        if not 0 < p < 1:
            continue
        z = (row.changes - row.unreached - row.changes * p) / math.sqrt(row.changes * p * (1 - p))
        gap = row.coverage / p - 1
        if z <= Z_FLAG and gap <= -COHORT_GAP and row.coverage <= past[row.org_id] - DROP_POINTS:
            out.append(
                Insight(
                    "untouched_cohort",
                    "branch_head",
                    3 if gap <= -0.5 else 2,
                    row.org_id,
                    {
                        "changes": (row.changes, "count"),
                        "unreached": (row.unreached, "count"),
                        "coverage": (row.coverage, "pct"),
                        "peer_coverage": (p, "pct"),
                        "before": (past[row.org_id], "pct"),
                        "points": ((past[row.org_id] - row.coverage) * 100, "score"),
                        "days": (REACH_DAYS, "count"),
                        "z": (z, "score"),
                        "min_changes": (MIN_CHANGES, "count"),
                    },
                    {"node": org_label(ctx, row.org_id)},
                    named(ctx, df[["org_id", "changes", "unreached", "coverage"]], "org_id"),
                    key=("untouched_cohort", row.org_id),
                )
            )
    return out
