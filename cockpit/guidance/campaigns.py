"""Campaigns far better or far worse than the others: Interest -> Action conversion against the
other campaigns' median. Counts come from the one SICAS definition (queries/sicas_funnel.sql by campaign).

Rule: over the recent window, for each campaign with at least MIN_BASE customers at Interest,
conversion = customers at Action / customers at Interest; outperforming when it is at least RATIO times
the median conversion of the other campaigns (reuse what works), under-performing when it is below
1 / RATIO of it (adjust or stop it). A campaign that got worse against its own past is found by the
weekly change detector (cockpit/guidance/changes.py, Interest -> Connect per campaign).
"""

from __future__ import annotations

import pandas as pd

from cockpit.guidance import Context, Insight
from cockpit.guidance.names import named

RATIO = 1.5
MIN_BASE = 30


def conversions(funnel: pd.DataFrame) -> pd.DataFrame:
    df = funnel[funnel["slice"] != "-"].pivot_table(
        index="slice", columns="stage", values="customers", aggfunc="sum"
    )
    df = df.reindex(columns=["I", "A"]).fillna(0)
    df = df[df["I"] >= MIN_BASE]
    df["conversion"] = df["A"] / df["I"]
    return df.reset_index().rename(columns={"slice": "campaign_id", "I": "interest", "A": "actions"})


def find(ctx: Context) -> list[Insight]:
    funnel = ctx.run(
        "sicas_funnel", org_id=ctx.org_id, start=ctx.window_start, end=ctx.period.to_date, by="campaign"
    )
    df = conversions(funnel) if not funnel.empty else pd.DataFrame()
    if len(df) < 2:
        return []
    names = ctx.run("guidance_campaigns").set_index("campaign_id")
    out = []
    for row in df.itertuples():
        others = df[df.campaign_id != row.campaign_id].conversion.median()
        better = others > 0 and row.conversion >= RATIO * others
        worse = others > 0 and row.conversion * RATIO < others
        if better or worse:
            n = names.loc[row.campaign_id] if row.campaign_id in names.index else None
            label = (n.name_zh, n.name_en) if n is not None else (row.campaign_id, row.campaign_id)
            out.append(
                Insight(
                    "campaign_outperformance" if better else "campaign_underperformance",
                    "executive",
                    1,
                    ctx.org_id,
                    {
                        "conversion": (row.conversion, "pct"),
                        "others": (others, "pct"),
                        "interest": (row.interest, "count"),
                        "actions": (row.actions, "count"),
                        "ratio": (row.conversion / others, "decimal2"),
                        "points": (abs(others - row.conversion) * 100, "score"),
                    },
                    {"campaign": label, "campaign_id": (row.campaign_id, row.campaign_id)},
                    named(ctx, df, "campaign_id", "campaign"),
                    key=("campaign", ctx.org_id, row.campaign_id, "better" if better else "worse"),
                )
            )
    return out
