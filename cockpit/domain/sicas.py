"""The SICAS funnel, defined once: its stages, what counts at each, the counting unit, window and ordering.

Funnels confuse when their definition is implicit, so the definition lives here and the page prints it.
Guidance, reports and tests import these names instead of restating them.

- Stages, in order: Sense → Interest → Connect → Action → Share (`STAGES`).
- What counts: an event counts at the SICAS stage the warehouse records for it (`events.stage`); the event
  types of each stage are listed in `Stage.event_types` (a delivered SMS, push or WeCom message is an
  exposure,
  so Sense; opening, replying to or liking one is an interaction, so Interest). Events without a recognised
  customer never count.
- Counting unit: unique customers, once per stage per window however often they repeat the stage.
- Window: the chosen period (or each calendar week, Monday to Sunday, for the weekly trend); both ends
inclusive.
- Ordering rule (`RULE`): a customer counts at Sense at their first Sense event in the window; they count at a
  later stage k at their first stage-k event in the window at or after the moment they counted at stage k-1.
  So a customer who skips a stage stops there, a stage reached before the window (or before the previous
  stage) does not count, and counts never grow from one stage to the next.
- Time between stages: hours from the moment a customer counted at stage k-1 to the moment they counted at k,
  given for the whole funnel (breakdown slices carry counts and shares).
- Breakdown: each customer falls in one slice per dimension: the channel, channel group and org node of their
  Sense event; their segment; the first campaign and the first product their events name in the window.

The SQL that applies the rule is `queries/sicas_reach.sql` (per customer, the moment they counted at each
stage), included by `queries/sicas_funnel.sql` (counts) and `queries/sicas_dropoff.sql` (the customers who
stopped); tests/test_sicas.py checks both against an independent pandas computation and against each other.
`cockpit build` stores the funnel of the standard windows (cockpit/warehouse/funnel_mart.py), read by the
warehouse layer in place of the computation; tests/test_funnel_mart.py checks that both agree.

Public API: `STAGES`, `CODES`, `stage()`, `next_stage()`, `stage_of_event_type()`, `BREAKDOWNS`,
`ATTRIBUTES`, `conversion_breakdowns()`, `in_reading_order()`, `DROP_STAGES`; the weekly trend
`WEEKLY_STEP`, `trend_start()`, `weekly_step()`, `worst_week()`;
`compare()` (this period against the previous one); `shown()` (what the data can show); `mask_id()` /
`mask_dropoffs()`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from cockpit.core.periods import TREND_WEEKS as TREND_WEEKS  # the trend is stored by the build
from cockpit.core.periods import trend_start as trend_start


@dataclass(frozen=True)
class Stage:
    code: str  # the value of events.stage
    key: str  # i18n key suffix: sicas.stage.<key>
    event_types: tuple[str, ...]


STAGES: tuple[Stage, ...] = (
    Stage(
        "S",
        "sense",
        ("exposure", "visit", "follow", "sms_sent", "push_sent", "wecom_msg_sent", "group_message"),
    ),
    Stage(
        "I",
        "interest",
        (
            "click",
            "read",
            "consult",
            "join_group",
            "reply",
            "sms_open",
            "push_open",
            "wecom_msg_open",
            "wecom_reply",
            "moments_like",
        ),
    ),
    Stage("C", "connect", ("add_wecom", "appointment", "chat", "lead")),
    Stage("A", "action", ("open_account", "purchase", "apply")),
    Stage("H", "share", ("refer_friend", "share_content", "review")),
)
CODES: tuple[str, ...] = tuple(s.code for s in STAGES)
RULE = "first_after_previous"  # the ordering rule described in the module docstring (i18n: sicas.rule)
COUNTING_UNIT = "unique_customers"
BREAKDOWNS: tuple[str, ...] = ("channel", "channel_group", "segment", "campaign", "product", "child")
# Conversion breakdowns by what a source says of its customers (queries/funnel_conversion.sql): the customer
# attributes it holds (customer_attributes) and the outcome of their earlier campaign (prior_outcomes).
ATTRIBUTES: tuple[str, ...] = (
    "job",
    "age_band",
    "education",
    "marital",
    "default",
    "housing",
    "loan",
    "balance_band",
)
DROP_STAGES: tuple[str, ...] = CODES[:-1]  # a customer can stop after any stage but the last
DROP_PAGE = 50  # drop-off customers sent to the browser at once; the download holds the whole list

# Roles that see customer ids in full on drop-off lists; others see them masked.
FULL_ID_ROLES = ("manager",)


def stage(code: str) -> Stage:
    """The stage with this code, or a ValueError naming the valid codes."""
    for s in STAGES:
        if s.code == code:
            return s
    raise ValueError(f"unknown SICAS stage {code!r}; stages are {', '.join(CODES)}")


def stage_of_event_type(event_type: str) -> str | None:
    """The stage code an event type counts at, or None for a type the funnel does not know."""
    for s in STAGES:
        if event_type in s.event_types:
            return s.code
    return None


def next_stage(code: str) -> str:
    """The stage after `code` (the stage a drop-off customer did not reach)."""
    i = CODES.index(stage(code).code)
    if i + 1 >= len(CODES):
        raise ValueError("nobody drops off after the last stage")
    return CODES[i + 1]


def mask_id(value: object) -> str:
    """A customer id with its middle hidden: 1000123 -> 10***23 (ids of four digits or fewer are hidden
    whole).
    """
    s = str(value)
    if len(s) <= 4:
        return "*" * len(s)
    return s[:2] + "*" * (len(s) - 4) + s[-2:]


def mask_dropoffs(df: pd.DataFrame, role: str, staff_ids: tuple[str, ...]) -> pd.DataFrame:
    """The drop-off list as this user may see and export it.

    A manager (whose staff ids are their own org nodes) sees the ids of the customers assigned to them; every
    other id (and every id for executives,
    branch heads and admins, who act through their teams) is masked. The column stays text either way.
    """
    out = df.copy()
    own = out["manager_id"].isin(staff_ids) if role in FULL_ID_ROLES else pd.Series(False, index=out.index)
    out["customer_id"] = [str(c) if mine else mask_id(c) for c, mine in zip(out["customer_id"], own)]
    return out


# The weekly trend: the Connect -> Action step, week by week, over the last TREND_WEEKS calendar weeks.
WEEKLY_STEP = ("C", "A")
MIN_WEEK_BASE = 5  # a week with fewer customers at the step's first stage is too small to call the worst


def weekly_step(weekly: pd.DataFrame) -> pd.DataFrame:
    """The rows of `queries/sicas_weekly.sql` for the weekly step (Connect -> Action), one per week."""
    return weekly[weekly["stage"] == WEEKLY_STEP[1]].reset_index(drop=True)


def worst_week(weekly: pd.DataFrame) -> dt.date | None:
    """The week with the lowest step rate among weeks with at least MIN_WEEK_BASE customers at the first stage
    (ties: the larger base, where the rate is surer). None when no week is large enough."""
    rows = weekly_step(weekly)
    rows = rows[rows["prev_customers"].fillna(0) >= MIN_WEEK_BASE]
    if rows.empty:
        return None
    best = rows.sort_values(["step_rate", "prev_customers"], ascending=[True, False]).iloc[0]
    return pd.Timestamp(best["week_start"]).date()


def compare(cur: pd.DataFrame, prev: pd.DataFrame) -> pd.DataFrame:
    """This period's funnel (one slice) beside the previous comparable period's counts and the relative
    change.
    """
    out = cur.merge(
        prev[["stage", "customers"]].rename(columns={"customers": "prev_customers"}), on="stage", how="left"
    )
    out["change"] = out["customers"] / out["prev_customers"].where(out["prev_customers"] > 0) - 1
    return out[
        [
            "stage",
            "customers",
            "pct_first",
            "pct_prev",
            "median_hours",
            "p75_hours",
            "prev_customers",
            "change",
        ]
    ]


# The source a stage or breakdown needs beyond events (names as in queries/channel_coverage.sql).
NEEDS: dict[str, str] = {"H": "share", "segment": "segment"}


def shown(codes: tuple[str, ...], coverage: pd.DataFrame) -> tuple[str, ...]:
    """The stage codes or breakdowns among `codes` whose source the warehouse holds: an imported warehouse
    without any Share event has no Share data, which is not the same as nobody sharing."""
    has = dict(zip(coverage["dataset"], coverage["has_data"].astype(bool)))
    return tuple(c for c in codes if has.get(NEEDS.get(c, ""), True))


def conversion_breakdowns(attributes: pd.DataFrame, coverage: pd.DataFrame) -> tuple[str, ...]:
    """The source's own breakdowns of conversion: previous outcome when it records earlier campaigns, then
    each attribute it holds (queries/customer_attribute_list.sql), in ATTRIBUTES order."""
    has = dict(zip(coverage["dataset"], coverage["has_data"].astype(bool)))
    held = set(attributes["attribute"])
    return (("prior_outcome",) if has.get("prior_outcomes") else ()) + tuple(
        a for a in ATTRIBUTES if a in held
    )


def in_reading_order(conversion: pd.DataFrame) -> pd.DataFrame:
    """Rows of queries/funnel_conversion.sql in the order a reader expects: bands such as '<25', '25-34',
    '65+' by their lower bound, other values alphabetically."""

    def key(value: str) -> tuple:
        text = str(value)
        digits = "".join(c for c in text.lstrip("<-") if c.isdigit() or c == "-").split("-")[0]
        if text.startswith("<"):
            return (0, -float("inf"), text)
        return (0, float(digits), text) if digits and text[0].isdigit() else (1, 0.0, text)

    return conversion.iloc[sorted(range(len(conversion)), key=lambda i: key(conversion.dimension.iloc[i]))]
