"""Unusual change: a week whose Connect -> Action conversion falls far below both the node's own
history and its peers that week.

Rule (stated on every insight): for each region or sub-branch and each of the last RECENT_WEEKS
complete weeks, expected Actions = that week's Connects x a baseline rate; the baselines are the
median weekly rate of the node's previous HISTORY_WEEKS weeks (own history) and the median rate of
the other nodes at its level that week (peers). The gap is scored as a quasi-Poisson z-score,
z = (actions - expected) / sqrt(expected) / phi, where phi (at least 1) is the robust spread
(1.4826 x median absolute deviation) of the raw scores of every node-week at that level: weekly
Actions vary more than a Poisson count because journeys repeat stages. The week is flagged when
z <= Z_FLAG against its own history and against its peers (or z <= Z_FLAG_ALONE against its
history when the user sees no peers). Medians keep one odd week from moving the baselines.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from cockpit.guidance import Context, Insight

RECENT_WEEKS = 8
HISTORY_WEEKS = 12
SCORE_WEEKS = 80  # weeks read: the history baselines and the dispersion estimate
Z_FLAG = -3.5
Z_FLAG_ALONE = -4.0  # a node with no visible peers (the head office, a branch head's own node)
MIN_EXPECTED = 5.0


def _z(actions: float, connects: float, rate: float) -> float:
    expected = connects * rate
    if not expected or expected != expected:
        return 0.0
    return (actions - expected) / math.sqrt(expected)


def scored(weekly: pd.DataFrame, last_day: dt.date) -> pd.DataFrame:
    """Every node-week with its baselines and both z-scores (the evidence of the rule)."""
    df = weekly.copy()
    df["week_start"] = pd.to_datetime(df["week_start"])
    df = df[df["week_start"] + pd.Timedelta(days=6) <= pd.Timestamp(last_day)]
    df["rate"] = df["actions"] / df["connects"].where(df["connects"] > 0)
    df = df.sort_values(["org_id", "week_start"])
    df["own_rate"] = df.groupby("org_id")["rate"].transform(
        lambda s: s.shift(1).rolling(HISTORY_WEEKS, min_periods=4).median()
    )
    df["peer_rate"] = df.groupby(["level", "week_start"])["rate"].transform(_median_of_others)
    for col, rate in (("z_own", "own_rate"), ("z_peer", "peer_rate")):
        raw = pd.Series([_z(a, c, r) for a, c, r in zip(df.actions, df.connects, df[rate])], index=df.index)
        phi = raw.where(df[rate].notna()).groupby(df.level).transform(_spread)
        df[col] = raw / phi
    df["expected"] = df["connects"] * df["own_rate"]
    return df


def _median_of_others(rates: pd.Series) -> pd.Series:
    """For each node, the median rate of the other nodes in its group (NaN with fewer than two others).

    One sort per group: leaving one value out of the sorted list shifts the middle by at most one place.
    """
    values = rates.to_numpy(dtype=float)
    known = np.sort(values[~np.isnan(values)])
    if len(values) < 3 or len(known) == 0:
        return pd.Series(np.nan, index=rates.index)
    own = ~np.isnan(values)
    left_out = np.where(
        own, np.searchsorted(known, np.nan_to_num(values)), len(known)
    )  # sorted place of the value
    m = len(known) - own  # how many others have a rate

    def nth(j: np.ndarray) -> np.ndarray:  # the j-th of the others, in sorted order
        return known[np.minimum(np.where(j < left_out, j, j + 1), len(known) - 1)]

    lo, hi = (m - 1) // 2, m // 2
    return pd.Series(np.where(m > 0, (nth(lo) + nth(hi)) / 2, np.nan), index=rates.index)


def _spread(z: pd.Series) -> float:
    """Robust standard deviation of scores (1.4826 x MAD), never below 1 (the Poisson scale)."""
    z = z.dropna()
    if len(z) < 10:
        return 1.0
    return max(1.0, 1.4826 * float((z - z.median()).abs().median()))


def hits(df: pd.DataFrame) -> pd.Series:
    """True for every scored node-week the rule flags."""
    alone = df["peer_rate"].isna()
    hit = (alone & (df["z_own"] <= Z_FLAG_ALONE)) | (
        ~alone & (df["z_own"] <= Z_FLAG) & (df["z_peer"] <= Z_FLAG)
    )
    return hit & (df["expected"] >= MIN_EXPECTED)


def flagged(df: pd.DataFrame) -> pd.DataFrame:
    """The flagged weeks among the last RECENT_WEEKS."""
    recent = df[df.week_start >= df.week_start.max() - pd.Timedelta(weeks=RECENT_WEEKS - 1)]
    return recent[hits(recent)]


def find(ctx: Context) -> list[Insight]:
    weekly = ctx.run(
        "guidance_weekly_conversion", org_id=ctx.org_id, end=ctx.period.to_date, weeks=SCORE_WEEKS
    )
    if weekly.empty:
        return []
    df = scored(weekly, ctx.period.to_date)
    out = []
    for row in flagged(df).itertuples():
        detail = df[df.org_id == row.org_id][
            ["week_start", "connects", "actions", "rate", "own_rate", "peer_rate"]
        ]
        week = row.week_start.date().isoformat()
        out.append(
            Insight(
                "unusual_change",
                "branch_head",
                3 if row.z_own <= 2 * Z_FLAG else 2,
                row.org_id,
                {
                    "rate": (row.rate, "pct"),
                    "own_rate": (row.own_rate, "pct"),
                    "peer_rate": (row.peer_rate, "pct"),
                    "actions": (row.actions, "count"),
                    "expected": (row.expected, "count"),
                    "connects": (row.connects, "count"),
                    "z": (row.z_own, "score"),
                    "z_flag": (Z_FLAG, "score"),
                    "history": (HISTORY_WEEKS, "count"),
                },
                {"week": (week, week)},
                detail.reset_index(drop=True),
            )
        )
    return out
