"""Funnel leak against peers: a child node that loses far more customers at one SICAS step than its
siblings. Counts come from the one SICAS definition (queries/sicas_funnel.sql, cockpit/domain/sicas.py).

Rule: over the recent window, for each child and each step k-1 -> k, the step conversion is
compared with the median conversion of the node's children at that step; flagged when the child
had at least MIN_BASE customers at stage k-1, converts at least MIN_GAP (relative) below the median,
and the binomial z-score (reached - n p) / sqrt(n p (1 - p)) is at most Z_FLAG.
"""

from __future__ import annotations

import pandas as pd

from cockpit.core import i18n
from cockpit.domain import sicas
from cockpit.guidance import Context, Insight
from cockpit.guidance.names import named, org_label

Z_FLAG = -3.5
MIN_GAP = 0.1
MIN_BASE = 30


def stage_label(code: str) -> tuple[str, str]:
    key = f"sicas.stage.{sicas.stage(code).key}"
    return i18n.t(key, "zh"), i18n.t(key, "en")


def scored(funnel: pd.DataFrame) -> pd.DataFrame:
    df = funnel[funnel.stage_no > 1].copy()
    prev = funnel.assign(stage_no=funnel.stage_no + 1)[["slice", "stage_no", "customers"]].rename(
        columns={"customers": "base"}
    )
    df = df.merge(prev, on=["slice", "stage_no"])
    df["peer_rate"] = df.groupby("stage_no")["pct_prev"].transform("median")
    p = df["peer_rate"].clip(0.01, 0.99)
    df["z"] = (df["customers"] - df["base"] * p) / (df["base"] * p * (1 - p)).pow(0.5)
    df["gap"] = df["pct_prev"] / df["peer_rate"] - 1
    return df


def find(ctx: Context) -> list[Insight]:
    funnel = ctx.run(
        "sicas_funnel", org_id=ctx.org_id, start=ctx.window_start, end=ctx.period.to_date, by="child"
    )
    if funnel.empty or funnel["slice"].nunique() < 3:  # a median of two is no peer baseline
        return []
    df = scored(funnel)
    hits = df[(df.base >= MIN_BASE) & (df.gap <= -MIN_GAP) & (df.z <= Z_FLAG)]
    out = []
    for row in hits.itertuples():
        prev_code = sicas.CODES[int(row.stage_no) - 2]
        detail = df[df.stage_no == row.stage_no][["slice", "base", "customers", "pct_prev", "peer_rate"]]
        out.append(
            Insight(
                "funnel_leak",
                "branch_head",
                3 if row.gap <= -0.3 else 2,
                row.slice,
                {
                    "rate": (row.pct_prev, "pct"),
                    "peer_rate": (row.peer_rate, "pct"),
                    "base": (row.base, "count"),
                    "reached": (row.customers, "count"),
                    "lost": (row.base * row.peer_rate - row.customers, "count"),
                    "gap": (row.gap, "pct"),
                    "shortfall": (-row.gap, "pct"),
                    "points": ((row.peer_rate - row.pct_prev) * 100, "score"),
                    "z": (row.z, "score"),
                },
                {
                    "node": org_label(ctx, row.slice),
                    "from_stage": stage_label(prev_code),
                    "to_stage": stage_label(row.stage),
                },
                named(ctx, detail.reset_index(drop=True), "slice"),
                key=("funnel_leak", row.slice, row.stage),
            )
        )
    return out


__all__ = ["find", "scored"]
