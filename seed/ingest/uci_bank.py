"""The UCI Bank Marketing adapter: a real telemarketing source turned into the cockpit's warehouse.

Each row is a client called in a term-deposit campaign. The adapter derives the contact date (the
file has month and day but no year), the SICAS stages the client reached, the earlier campaign's
outcome as return flow, and fills only what the data says: no branches, referrals, online channels,
WeCom, service records, balances by day or targets (those tables stay empty and pages say "no data").
The rules are stated in seed/ingest/IMPORT.md; the thresholds live in the mapping file.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import holidays
import numpy as np
import pandas as pd

from seed.ingest.importer import ROW, Note, Problem

STAGES = ("S", "I", "C", "A")
EVENT_TYPE = {"S": "call", "I": "consult", "C": "chat", "A": "purchase"}
CHANNELS = {
    "call_mobile": ("remote", "电话外呼（手机）", "Outbound call (mobile)"),
    "call_landline": ("remote", "电话外呼（固话）", "Outbound call (landline)"),
    "call_unknown": ("remote", "电话外呼（方式未知）", "Outbound call (type unknown)"),
}


def _month_start(value: Any) -> pd.Timestamp:
    return pd.Timestamp(value).to_period("M").start_time


def contact_years(month_no: pd.Series, rules: dict) -> tuple[np.ndarray, Note]:
    """The year of each row, and which rule gave it.

    Rows in date order: the year starts at the first month's year and goes up by one each time the
    month rolls back. A file that is not in date order (a random sample such as bank.csv) would roll
    back thousands of times; then each row takes the latest year of the data set's span in which its
    month falls, so the months form the last twelve months up to the final month.
    """
    first, last = _month_start(rules["first_month"]), _month_start(rules["last_month"])
    months = month_no.to_numpy(dtype=int)
    rollbacks = np.concatenate([[0], np.cumsum(np.diff(months) < 0)])
    years = first.year + rollbacks
    ym = years * 12 + months
    if ym.min() >= first.year * 12 + first.month and ym.max() <= last.year * 12 + last.month:
        return years, ("import.note.year_ordered", {})
    folded = np.where(months <= last.month, last.year, last.year - 1)
    return folded, ("import.note.year_folded", {"first": f"{first:%Y-%m}", "last": f"{last:%Y-%m}"})


def stage_depth(duration: pd.Series, subscribed: pd.Series, rules: dict) -> np.ndarray:
    """0..3: the last SICAS stage reached (S called, I engaged, C conversation, A subscribed); each implies
    the
    earlier ones.
    """
    depth = np.zeros(len(duration), dtype=int)
    depth[duration.to_numpy() >= rules["interest_seconds"]] = 1
    depth[duration.to_numpy() >= rules["connect_seconds"]] = 2
    depth[subscribed.to_numpy().astype(bool)] = 3
    return depth


def _calendar(first: dt.date, last: dt.date) -> pd.DataFrame:
    """Portuguese working days over the data's years (the source is a Portuguese bank)."""
    days = pd.date_range(dt.date(first.year - 1, 1, 1), dt.date(last.year + 1, 12, 31), freq="D")
    pt = holidays.country_holidays("PT", years=range(first.year - 1, last.year + 2))
    return pd.DataFrame(
        {
            "cal_date": days.date,
            "is_workday": [pt.is_working_day(d) for d in days.date],
            "holiday_name": [pt.get(d) for d in days.date],
        }
    )


def _events(df: pd.DataFrame, depth: np.ndarray, r: dict) -> pd.DataFrame:
    parts = []
    for k, stage in enumerate(STAGES):
        sel = depth >= k
        parts.append(
            pd.DataFrame(
                {
                    "event_date": df.contact_date[sel],
                    "customer_id": df.customer_id[sel],
                    "channel_id": df.channel_id[sel],
                    "stage": stage,
                    "event_type": EVENT_TYPE[stage],
                    "campaign_id": r["campaign_id"],
                    "product_id": r["product_id"],
                    "amount": None if stage == "A" else 0.0,
                    "order": k,
                }
            )
        )
    # Return flow: the earlier campaign's last contact, pdays before this one, with its outcome.
    prior = df[df.pdays >= 0]
    parts.append(
        pd.DataFrame(
            {
                "event_date": (
                    pd.to_datetime(prior.contact_date) - pd.to_timedelta(prior.pdays, unit="D")
                ).dt.date,
                "customer_id": prior.customer_id,
                "channel_id": "call_unknown",
                "stage": np.where(prior.poutcome == "success", "A", "C"),
                "event_type": "prior_" + prior.poutcome.astype(str),
                "campaign_id": r["prior_campaign_id"],
                "product_id": None,
                "amount": None,
                "order": -1,
            }
        )
    )
    ev = pd.concat(parts, ignore_index=True).sort_values(
        ["event_date", "customer_id", "order"], kind="stable"
    )
    ev["amount"] = ev.amount.where(~((ev.stage == "C") & ev.event_type.str.startswith("prior_")), 0.0)
    ev["fee_income"] = ev.amount
    ev["event_id"] = np.arange(1, len(ev) + 1, dtype=np.int64)
    ev["event_ts"] = pd.to_datetime(ev.event_date)
    ev["org_id"] = r["org_id"]
    return ev.drop(columns="order")


def transform(
    typed: pd.DataFrame, mapping: dict, name: str
) -> tuple[dict[str, pd.DataFrame], dict, list[Problem]]:
    """Validated UCI rows -> warehouse tables, the warehouse_info values, and any date problems."""
    r = mapping["rules"]
    df = typed.reset_index(drop=True).copy()
    years, rule = contact_years(df.month_no, r)
    df["contact_date"] = pd.to_datetime(
        pd.DataFrame({"year": years, "month": df.month_no.astype(int), "day": df.day.astype(int)}),
        errors="coerce",
    )
    month_names = {v: k for k, v in mapping["columns"]["month"]["values"].items()}
    problems = [
        Problem(int(row), "day", f"bad date: day {d} does not exist in {month_names[m]} {y}", name)
        for row, d, m, y in zip(
            df[ROW][df.contact_date.isna()],
            df.day[df.contact_date.isna()],
            df.month_no[df.contact_date.isna()],
            years[df.contact_date.isna().to_numpy()],
        )
    ]
    if problems:
        return {}, {}, problems
    df["contact_date"] = df.contact_date.dt.date
    df["customer_id"] = np.arange(1, len(df) + 1, dtype=np.int64)
    first, last = min(df.contact_date), max(df.contact_date)
    org = r["org_id"]
    depth = stage_depth(df.duration, df.subscribed, r)
    events = _events(df, depth, r)
    prior = events[events.campaign_id == r["prior_campaign_id"]]
    campaigns = [
        (r["campaign_id"], "定期存款电话营销", "Term-deposit telemarketing", r["product_id"], first, last)
    ]
    if len(prior):
        campaigns.append(
            (
                r["prior_campaign_id"],
                "此前的营销活动",
                "Earlier campaigns",
                None,
                min(prior.event_date),
                max(prior.event_date),
            )
        )
    used = sorted(set(df.channel_id) | set(events.channel_id))
    tables = {
        "orgs": pd.DataFrame(
            [
                ("HO", None, 0, "总行", "Head office", "/HO/"),
                (
                    org,
                    "HO",
                    1,
                    "UCI 银行营销数据（未分网点）",
                    "UCI Bank Marketing (branches unknown)",
                    f"/HO/{org}/",
                ),
            ],
            columns=["org_id", "parent_id", "level", "name_zh", "name_en", "path"],
        ),
        "org_closure": pd.DataFrame(
            [("HO", "HO", 0), ("HO", org, 1), (org, org, 0)],
            columns=["ancestor_id", "descendant_id", "depth"],
        ),
        "channels": pd.DataFrame(
            [(c, *CHANNELS[c]) for c in used], columns=["channel_id", "channel_group", "name_zh", "name_en"]
        ),
        "products": pd.DataFrame(
            [(r["product_id"], "deposit", "定期存款", "Time deposit")],
            columns=["product_id", "category", "name_zh", "name_en"],
        ),
        "campaigns": pd.DataFrame(
            campaigns, columns=["campaign_id", "name_zh", "name_en", "product_id", "start_date", "end_date"]
        ),
        "customers": pd.DataFrame(
            {
                "customer_id": df.customer_id,
                "org_id": org,
                "aum": df.balance.astype(float),
                "last_active_date": df.contact_date,
            }
        ),
        "events": events,
        "calendar": _calendar(first, last),
    }
    notes = [
        rule,
        (
            "import.note.uci_summary",
            {
                "clients": f"{len(df):,}",
                "first": first,
                "last": last,
                "subscribed": f"{int((depth == 3).sum()):,}",
                "returned": f"{len(prior):,}",
            },
        ),
    ]
    return tables, {"source": f"import:{mapping['name']}", "as_of": last, "notes": notes}, []
