"""Channel coordination rules, defined once: the channel that suits each lifecycle state, the referral SLA
rule, the attribution models and how service spread is measured. Pages, guidance and reports import them.

Referral rules (applied by queries/referral_*.sql):
- accepted: the receiving channel accepted it at any time (accepted_at is set), even after the follow-up;
- followed up within the SLA: a first contact at most `sla_hours` after creation — exactly at the limit
  counts as on time; a referral never followed up (or never accepted and never contacted) is not on time;
- converted: the recorded outcome is `converted`, whatever the order of acceptance and follow-up;
- median follow-up hours: over the referrals followed up at all, from creation to first contact.

Attribution (queries/attribution_channels.sql): the touches of an Action are the customer's Sense, Interest
and Connect events in the `lookback_days` before it (an Action with none credits its own channel).
First touch and last touch give the whole Action to one touch; linear splits it evenly; position-based gives
40% to the first and 40% to the last touch and shares 20% among the ones between (two touches: 50/50).
Each model's credits add up to the number of Actions.

Service spread (queries/channel_service.sql): the coefficient of variation of a measure across channels
(standard deviation ÷ mean); lower means the channels serve more alike.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

# The channel that should reach a customer after their lifecycle state changes to the key.
SUITABLE_CHANNEL: dict[str, str] = {
    "new": "wecom_1to1",
    "growing": "wecom_1to1",
    "mature": "wealth_room",
    "dormant": "call_out",
    "churned": "call_out",
    "won_back": "app",
}
STATES: tuple[str, ...] = tuple(SUITABLE_CHANNEL)
ANY_CHANNEL = "*"  # the row of queries/channel_linkage.sql for "reached by any channel"
ATTRIBUTION_MODELS: tuple[str, ...] = ("first_touch", "last_touch", "linear", "position_based")
SERVICE_MEASURES: tuple[str, ...] = ("response", "resolution", "satisfaction", "complaint")
DEFAULT_LINKAGE_DAYS = 7
LOOKBACK_DAYS = 30
STAFF_PAGE = 50  # staff or teams the attribution table shows, most actions first; the download holds them all
ROUTE_TREND_MONTHS = 12
MIN_ROUTE_REFERRALS = 3  # a route-month with fewer referrals is too small to call stalled
# How each column of the channel tables reads (units of cockpit.core.i18n.fmt): counts with thousands
# separators,
# rates as one-decimal percentages, products per customer with two decimals, attribution credits with one.
UNITS: dict[str, str] = {
    **dict.fromkeys(
        (
            "customers",
            "records",
            "created",
            "accepted",
            "on_time",
            "converted",
            "changes",
            "sent",
            "opened",
            "replied",
            "staff",
            "actions",
            "shares",
        ),
        "count",
    ),
    **dict.fromkeys(
        (
            "share",
            "resolution_rate",
            "complaint_rate",
            "accept_rate",
            "on_time_rate",
            "conversion_rate",
            "reached_suitable",
            "reached_any",
            "open_rate",
            "reply_rate",
        ),
        "pct",
    ),
    **dict.fromkeys(
        ("median_response_seconds", "satisfaction", "median_followup_hours", *ATTRIBUTION_MODELS), "score"
    ),
    "products_per_customer": "decimal2",
    "amount": "money",
}
# The source each kind of return flow (queries/channel_return_flow.sql) is counted from.
# (Rows from earlier campaigns, read from prior_outcomes, exist only where a source records them.)
RETURN_SOURCES: dict[str, str] = {"won_back": "lifecycle_changes", "back_online": "online"}


def route_trend_start(end: dt.date, months: int = ROUTE_TREND_MONTHS) -> dt.date:
    """First day of the month that starts the route trend ending with the month of `end`."""
    y, m = divmod(end.year * 12 + end.month - 1 - (months - 1), 12)
    return dt.date(y, m + 1, 1)


def linkage(df: pd.DataFrame) -> pd.DataFrame:
    """Per new state: changes, and the share reached by the suitable channel and by any channel within N days.

    `df` is the result of queries/channel_linkage.sql (one row per state and channel that reached someone).
    """
    rows = []
    for state in STATES:
        part = df[df["to_state"] == state]
        if part.empty:
            continue
        by_channel = part.set_index("channel_id")["reached_share"]
        suitable = SUITABLE_CHANNEL[state]
        rows.append(
            {
                "to_state": state,
                "suitable_channel": suitable,
                "changes": int(part["changes"].iloc[0]),
                "reached_suitable": float(by_channel.get(suitable, 0.0)),
                "reached_any": float(by_channel.get(ANY_CHANNEL, 0.0)),
            }
        )
    return pd.DataFrame(
        rows, columns=["to_state", "suitable_channel", "changes", "reached_suitable", "reached_any"]
    )


def names(lang: str, *frames: tuple[pd.DataFrame, str]) -> dict[str, str]:
    """Display names by id from reference frames that carry name_zh / name_en,
    e.g. (channels, "channel_id").
    """
    out: dict[str, str] = {}
    for frame, id_col in frames:
        out.update(dict(zip(frame[id_col].astype(str), frame[f"name_{lang}"])))
    return out


def missing(coverage: pd.DataFrame, *sources: str) -> list[str]:
    """The sources among `sources` that queries/channel_coverage.sql says the warehouse holds nothing of.

    A section built on such a source says "no data for this source" instead of showing 0: an imported
    warehouse without referrals has not got zero referrals, it has no referral records.
    """
    has = dict(zip(coverage["dataset"], coverage["has_data"].astype(bool)))
    return [s for s in sources if not has.get(s, True)]


def covered_return_flow(df: pd.DataFrame, coverage: pd.DataFrame) -> pd.DataFrame:
    """The return-flow rows whose source the warehouse holds (a won-back count of 0 without lifecycle data is
    not a figure)."""
    gone = {kind for kind, source in RETURN_SOURCES.items() if missing(coverage, source)}
    return df[~df["kind"].isin(gone)].reset_index(drop=True)


def stalled_route(monthly: pd.DataFrame) -> pd.Series | None:
    """The route-month of queries/referral_monthly.sql with the lowest on-time follow-up among those with at
    least MIN_ROUTE_REFERRALS referrals (ties: the larger one), or None when none is large enough."""
    rows = monthly[monthly["created"] >= MIN_ROUTE_REFERRALS].dropna(subset=["on_time_rate"])
    if rows.empty:
        return None
    return rows.sort_values(["on_time_rate", "created"], ascending=[True, False]).iloc[0]


def mix_label(mix: str, names: dict[str, str]) -> str:
    """'online+remote' in the reader's words: 线上+远程."""
    return "+".join(names.get(g, g) for g in str(mix).split("+"))
