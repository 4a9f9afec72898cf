"""The UCI Bank Marketing adapter: a real telemarketing source turned into the cockpit's warehouse.

Each row is a client called in a term-deposit campaign. The adapter derives the contact date (the
file has month and day but no year), the SICAS stages the client reached, the earlier campaign's
outcome as return flow, and fills only what the data says: no branches, referrals, online channels,
WeCom, service records, balances by day or targets (those tables stay empty and pages say "no data").
The rules are stated in seed/ingest/IMPORT.md; the thresholds live in the mapping file.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

import holidays
import numpy as np
import pandas as pd

from seed.ingest.importer import ROW, YEAR_RULES, Note, Problem

STAGES = ("S", "I", "C", "A")
EVENT_TYPE = {"S": "call", "I": "consult", "C": "chat", "A": "purchase"}
CHANNELS = {
    "call_mobile": ("remote", "电话外呼（手机）", "Outbound call (mobile)"),
    "call_landline": ("remote", "电话外呼（固话）", "Outbound call (landline)"),
    "call_unknown": ("remote", "电话外呼（方式未知）", "Outbound call (type unknown)"),
}


WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
AGE_BANDS = ((0, "<25"), (25, "25-34"), (35, "35-44"), (45, "45-54"), (55, "55-64"), (65, "65+"))
BALANCE_BANDS = ((-np.inf, "<0"), (0, "0-999"), (1_000, "1000-4999"), (5_000, "5000+"))
ATTRIBUTES = ("job", "marital", "education", "default", "housing", "loan")


def _month_start(value: Any) -> pd.Timestamp:
    return pd.Timestamp(value).to_period("M").start_time


def _latest_year(months: np.ndarray, last: pd.Timestamp) -> np.ndarray:
    """The latest year of the span in which each month falls."""
    return np.where(months <= last.month, last.year, last.year - 1)


def contact_years(df: pd.DataFrame, rules: dict, name: str = "") -> tuple[np.ndarray, Note, list[Problem]]:
    """The year of each row, the note saying which rule gave it, and the rows the rule cannot place.

    The file has no year, so the rule is stated, never guessed from the data (a shuffled file or one
    appended row must not move every date silently):
    - ordered: rows in date order; the year starts at the first month's year and goes up by one each time
      the month rolls back. A row that this puts outside the span is refused.
    - latest: each month in the latest year of the span in which it falls (a shuffled sample: the true year
      is not in the file).
    - context: bank-additional's monthly economic context tells the years of a month apart: its distinct
      `nr_employed` levels, highest (earliest) first, are the month's years up to the latest of the span.
    """
    first, last = _month_start(rules["first_month"]), _month_start(rules["last_month"])
    lo, hi = first.year * 12 + first.month, last.year * 12 + last.month
    months = df.month_no.to_numpy(dtype=int)
    rule = rules.get("year_rule", "ordered")
    span = {"first": f"{first:%Y-%m}", "last": f"{last:%Y-%m}"}
    if rule == "latest":
        return _latest_year(months, last), ("import.note.year_folded", span), []
    if rule == "context":
        level = df.nr_employed.to_numpy(dtype=float)
        rank = (
            pd.DataFrame({"m": months, "level": level})
            .groupby("m")["level"]
            .rank(method="dense", ascending=False)
            .to_numpy(dtype=int)
        )
        count = pd.Series(rank).groupby(months).transform("max").to_numpy()
        years = _latest_year(months, last) - (count - rank)
        off = years * 12 + months < lo
        problems = [
            Problem(
                int(r),
                "nr.employed",
                f"year rule 'context': month {m} has more economic-context levels than years in "
                f"{span['first']} to {span['last']}",
                name,
            )
            for r, m in zip(df[ROW][off], months[off])
        ][:1]
        return years, ("import.note.year_context", span), problems
    rollbacks = np.concatenate([[0], np.cumsum(np.diff(months) < 0)])
    years = first.year + rollbacks
    ym = years * 12 + months
    off = np.flatnonzero((ym < lo) | (ym > hi))
    if len(off):
        k = int(off[0])
        before = f" after {calendar.month_abbr[months[k - 1]].lower()}" if k else ""
        return (
            years,
            ("import.note.year_ordered", {}),
            [
                Problem(
                    int(df[ROW].iloc[k]),
                    "month",
                    f"year rule 'ordered': {calendar.month_abbr[months[k]].lower()}{before} puts this "
                    f"contact in {years[k]}-{months[k]:02d}, outside {span['first']} to {span['last']}: the "
                    "rows are not in date order; choose the year rule 'latest' (--year-rule latest) to place "
                    "each month in the latest year of the span",
                    name,
                )
            ],
        )
    return years, ("import.note.year_ordered", {}), []


def contact_days(df: pd.DataFrame, years: np.ndarray) -> np.ndarray:
    """The day of the month: the file's `day`, or (bank-additional, weekday only) the month's first such
    weekday, an estimate that keeps the month and the weekday true.
    """
    if "day" in df and df.day.notna().all():
        return df.day.to_numpy(dtype=int)
    starts = pd.to_datetime(pd.DataFrame({"year": years, "month": df.month_no.astype(int), "day": 1}))
    want = df.day_of_week.map(WEEKDAYS).to_numpy(dtype=int)
    return 1 + (want - starts.dt.day_of_week.to_numpy()) % 7


def _band(values: pd.Series, bands: tuple) -> pd.Series:
    edges = [b[0] for b in bands]
    idx = np.searchsorted(edges, values.to_numpy(dtype=float), side="right") - 1
    return pd.Series([bands[i][1] for i in idx], index=values.index)


def attributes(df: pd.DataFrame, org: str) -> pd.DataFrame:
    """The source's own customer attributes in long form: job, marital, education, default, housing,
    loan as coded, age band, and balance band where the file has a balance.
    """
    cols = {a: df[a].astype(str) for a in ATTRIBUTES if a in df}
    cols["age_band"] = _band(df.age, AGE_BANDS)
    if "balance" in df and df.balance.notna().all():
        cols["balance_band"] = _band(df.balance, BALANCE_BANDS)
    wide = pd.DataFrame({"customer_id": df.customer_id, **cols})
    long = wide.melt(id_vars="customer_id", var_name="attribute", value_name="value")
    long["org_id"] = org
    return long[["customer_id", "org_id", "attribute", "value"]]


def prior_outcomes(df: pd.DataFrame, rules: dict, org: str) -> pd.DataFrame:
    """The earlier campaign's outcome of every client contacted before (`previous` > 0 or `pdays` known).

    Kept apart from the events: the outcome belongs to an earlier campaign and its date is an estimate
    (the contact date minus `pdays`), so it counts in no period's Actions or active customers.
    """
    never = int(rules.get("pdays_never", -1))
    none = rules.get("no_outcome", "unknown")
    days = df.pdays.where(df.pdays != never)
    seen = (df.previous > 0) | days.notna()
    p = df[seen]
    est = pd.to_datetime(p.contact_date) - pd.to_timedelta(days[seen], unit="D")
    return pd.DataFrame(
        {
            "customer_id": p.customer_id,
            "org_id": org,
            "outcome": p.poutcome.astype(str).replace({none: "unknown"}),
            "contacts": p.previous.astype(int),
            "days_before": days[seen].astype("Int64"),
            "estimated_date": est.dt.date.where(est.notna(), None),
            "contact_date": p.contact_date,
        }
    )


def contradictions(df: pd.DataFrame, rules: dict) -> list[Note]:
    """Rows whose earlier-campaign fields disagree: kept (the source says so) but named in the notes."""
    never = int(rules.get("pdays_never", -1))
    none = rules.get("no_outcome", "unknown")
    checks = {
        "outcome_without_days": (df.poutcome != none) & (df.pdays == never),
        "days_without_contacts": (df.pdays != never) & (df.previous == 0),
        "contacts_without_outcome": (df.previous > 0) & (df.poutcome == none),
    }
    return [
        (f"import.note.contradiction.{key}", {"rows": f"{int(m.sum()):,}", "first": int(df[ROW][m].iloc[0])})
        for key, m in checks.items()
        if m.any()
    ]


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
    """The campaign's SICAS events, all on the contact date; earlier campaigns are not events here."""
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
                    "amount": None,  # the file has no amounts: sales and fee income are unknown, not 0
                    "order": k,
                }
            )
        )
    ev = pd.concat(parts, ignore_index=True).sort_values(
        ["event_date", "customer_id", "order"], kind="stable"
    )
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
    if r.get("year_rule", "ordered") not in YEAR_RULES:
        raise ValueError(f"unknown year rule {r['year_rule']!r}: use one of {', '.join(YEAR_RULES)}")
    df = typed.reset_index(drop=True).copy()
    years, rule, problems = contact_years(df, r, name)
    if problems:
        return {}, {}, problems
    days = contact_days(df, years)
    df["contact_date"] = pd.to_datetime(
        pd.DataFrame({"year": years, "month": df.month_no.astype(int), "day": days}), errors="coerce"
    )
    month_names = {v: k for k, v in mapping["columns"]["month"]["values"].items()}
    problems = [
        Problem(int(row), "day", f"bad date: day {d} does not exist in {month_names[m]} {y}", name)
        for row, d, m, y in zip(
            df[ROW][df.contact_date.isna()],
            days[df.contact_date.isna().to_numpy()],
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
    prior = prior_outcomes(df, r, org)
    campaigns = [
        (r["campaign_id"], "定期存款电话营销", "Term-deposit telemarketing", r["product_id"], first, last)
    ]
    used = sorted(set(df.channel_id))
    has_balance = "balance" in df and df.balance.notna().all()
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
                "aum": df.balance.astype(float) if has_balance else None,
                "last_active_date": df.contact_date,
            }
        ),
        "customer_attributes": attributes(df, org),
        "prior_outcomes": prior,
        "events": events,
        "calendar": _calendar(first, last),
    }
    notes = [
        rule,
        *([] if "day" in df else [("import.note.day_estimated", {})]),
        *contradictions(df, r),
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
