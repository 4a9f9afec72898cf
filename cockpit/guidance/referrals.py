"""Referrals past their SLA: a referral route whose follow-ups miss their service level far more
often than the route's own history.

Rule: for each route (from channel -> to channel) and each month of the recent window, missed =
referrals not followed up within the route's SLA (late or still open; the on-time rule of
queries/referral_monthly.sql, shared with the channel pages). The baseline is the route's
median monthly miss share over the months before the window. A month is flagged when its miss
share is at least MIN_GAP above the baseline and the binomial z-score
(missed - n p0) / sqrt(n p0 (1 - p0)) is at least Z_FLAG, on at least MIN_REFERRALS referrals that month.
"""

from __future__ import annotations

import pandas as pd

from cockpit.guidance import Context, Insight
from cockpit.guidance.names import channel_label

Z_FLAG = 3.5
MIN_GAP = 0.15
MIN_MISSED = 5
MIN_REFERRALS = 30
HISTORY_MONTHS = 12


def scored(df: pd.DataFrame, window_start) -> pd.DataFrame:
    out = df.copy()
    out = out.rename(columns={"month": "month_start", "created": "referrals"})
    out["month_start"] = pd.to_datetime(out["month_start"])
    out["missed"] = out["referrals"] - out["on_time"]
    out["miss_share"] = out["missed"] / out["referrals"]
    recent = out["month_start"] >= pd.Timestamp(window_start)
    base = (
        out[~recent]
        .groupby(["from_channel_id", "to_channel_id"])["miss_share"]
        .median()
        .rename("baseline")
        .reset_index()
    )
    out = out.merge(base, on=["from_channel_id", "to_channel_id"], how="left")
    p0 = out["baseline"].clip(0.02, 0.98)
    out["z"] = (out["missed"] - out["referrals"] * p0) / (out["referrals"] * p0 * (1 - p0)).pow(0.5)
    out["recent"] = out["month_start"] >= pd.Timestamp(window_start)
    return out


def find(ctx: Context) -> list[Insight]:
    start = (pd.Timestamp(ctx.window_start) - pd.DateOffset(months=HISTORY_MONTHS)).date()
    raw = ctx.run("referral_monthly", org_id=ctx.org_id, start=start, end=ctx.period.to_date)
    if raw.empty:
        return []
    df = scored(raw, ctx.window_start)
    hits = df[
        df.recent
        & (df.missed >= MIN_MISSED)
        & (df.referrals >= MIN_REFERRALS)
        & (df.z >= Z_FLAG)
        & (df.miss_share >= df.baseline + MIN_GAP)
    ]
    out = []
    for row in hits.itertuples():
        route = df[(df.from_channel_id == row.from_channel_id) & (df.to_channel_id == row.to_channel_id)]
        frm, to = channel_label(ctx, row.from_channel_id), channel_label(ctx, row.to_channel_id)
        month = row.month_start.strftime("%Y-%m")
        out.append(
            Insight(
                "referrals_overdue",
                "branch_head",
                3 if row.miss_share >= 0.5 else 2,
                ctx.org_id,
                {
                    "referrals": (row.referrals, "count"),
                    "missed": (row.missed, "count"),
                    "share": (row.miss_share, "pct"),
                    "baseline": (row.baseline, "pct"),
                    "z": (row.z, "score"),
                    "min_referrals": (MIN_REFERRALS, "count"),
                },
                {"route_from": frm, "route_to": to, "month": (month, month)},
                route[["month_start", "referrals", "on_time", "miss_share", "baseline"]].reset_index(
                    drop=True
                ),
                key=("referrals_overdue", ctx.org_id, row.from_channel_id, row.to_channel_id, month),
            )
        )
    return out


__all__ = ["find", "scored"]
