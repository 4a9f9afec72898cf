"""Dormant high-value customers: tier DORMANT_TIER and above with no touchpoint for DORMANT_DAYS days.

Rule: one insight for the node when any such customer exists; the evidence is their number, their
AUM and their share of the node's high-value customers, with the child carrying the most dormant
AUM and the median share among the node's children as the baseline. Severity rises with the share.
The customers themselves are on the frontline action lists (cockpit/guidance/actions.py), largest assets
first; the insight names the TOP_N largest and the share of the dormant assets they hold, so the list
starts where it matters.

News or standing: when at most STANDING_NEW of the dormant customers became dormant in the last
RECENT_DAYS, the condition is standing: one note (severity 1, marked standing) after the news.
Otherwise severity rises with the share and the customers at stake. On the sparse demo bank about 40% of
customers of every tier go 120 days without a touchpoint, a standing condition.
"""

from __future__ import annotations

from cockpit.guidance import Context, Insight
from cockpit.guidance.names import named, org_label

DORMANT_TIER = 4
DORMANT_DAYS = 120
TOP_N = 20
RECENT_DAYS = 30
STANDING_NEW = 0.25


def query_params(ctx: Context) -> dict:
    """The parameters of `guidance_dormant` (the stored guidance reads every node's children at once)."""
    return {
        "org_id": ctx.org_id,
        "as_of": ctx.as_of,
        "min_tier": DORMANT_TIER,
        "days": DORMANT_DAYS,
        "recent": RECENT_DAYS,
    }


def people_params(ctx: Context) -> dict:
    """The parameters of the `action_customers` list the insight names the largest of."""
    return {"org_id": ctx.org_id, "as_of": ctx.as_of, "min_tier": DORMANT_TIER, "days": DORMANT_DAYS}


def find(ctx: Context) -> list[Insight]:
    df = ctx.run("guidance_dormant", **query_params(ctx))
    if df.empty or df.dormant.sum() == 0:
        return []
    df = df.assign(share=df.dormant / df.high_value)
    total, dormant = df.high_value.sum(), df.dormant.sum()
    share = dormant / total
    newly = df.newly.sum() / dormant  # became dormant in the last RECENT_DAYS
    standing = newly <= STANDING_NEW
    top = df.sort_values("dormant_aum", ascending=False).iloc[0]
    people = ctx.run("action_customers", **people_params(ctx))
    largest = (
        people[people.reason == "dormant_high_value"].drop_duplicates("customer_id").nlargest(TOP_N, "aum")
    )
    return [
        Insight(
            "dormant_high_value",
            "frontline",
            1 if standing else 3 if share >= 0.2 else 2 if share >= 0.05 else 1,
            ctx.org_id,
            {
                "customers": (dormant, "count"),
                "aum": (df.dormant_aum.sum(), "money"),
                "share": (share, "pct"),
                "high_value": (total, "count"),
                "days": (DORMANT_DAYS, "count"),
                "tier": (DORMANT_TIER, "count"),
                "top_aum": (top.dormant_aum, "money"),
                "median_share": (df.share.median(), "pct"),
                "top_n": (len(largest), "count"),
                "top_n_aum": (largest.aum.sum(), "money"),
                "newly": (newly, "pct"),
                "recent": (RECENT_DAYS, "count"),
                "top_n_share": (
                    largest.aum.sum() / df.dormant_aum.sum() if df.dormant_aum.sum() else float("nan"),
                    "pct",
                ),
            },
            {"top": org_label(ctx, top.org_id)},
            named(ctx, df[["org_id", "high_value", "dormant", "dormant_aum", "share"]], "org_id"),
            key=("dormant_high_value", ctx.org_id),
            standing=bool(standing),
        )
    ]
