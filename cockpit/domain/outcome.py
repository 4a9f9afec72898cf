"""Outcome: which guidance works — what followed done actions, against comparable customers with no action.

Rule (RULE; shown on the page):
- Anchor: the day an action was marked done. Each customer of a done action is measured over the N days
  after it (anchor excluded); a window that has not ended by the warehouse's as-of date is still measuring
  and left out of the comparison.
- Measures: next SICAS stage reached (any event at a stage beyond the furthest stage of the LOOKBACK days up
to
  the anchor; no event at all counts as stage 0), the number of Actions, and their volume (the warehouse holds
  balances per org node, not per customer, so a customer's new money is the amount of their Actions).
- Comparison: for each measured customer, the customers of the same org node, same segment and same starting
  stage on the same anchor day who are on no action at all; their average is that customer's baseline.
  A customer with no such peer is counted as unmatched and left out. Groups (insight type, org node, owner)
  average the customers' measures and their baselines, so the baseline has the customers' own mix.
The per-customer SQL is `queries/outcome_customers.sql`; action customers reach it as bound rows.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from cockpit.state import actions
from cockpit.warehouse.layer import MAX_BOUND_ROWS, Scope, Warehouse

DAYS = 30
LOOKBACK = 90
GROUPS = ("insight_type", "org_id", "owner")
MEASURES = (("reached_next", "control_reached"), ("actions", "control_actions"), ("amount", "control_amount"))


def _acted_rows(acts: list[actions.Action]) -> pd.DataFrame:
    rows = [
        {"action_id": a.id, "customer_id": c, "anchor_date": a.done_on if a.status == "done" else None}
        for a in acts
        for c in a.customers
    ]
    return pd.DataFrame(rows, columns=["action_id", "customer_id", "anchor_date"])


def per_customer(
    wh: Warehouse,
    scope: Scope,
    acts: list[actions.Action] | None = None,
    days: int = DAYS,
    lookback: int = LOOKBACK,
) -> pd.DataFrame:
    """One row per (done action among `acts`, customer in scope) with its measures and its comparable
    baseline.

    Every customer of every action (done or not, whoever's) is excluded from the comparison pool; ids go to
    the
    warehouse as bound rows, in chunks of done actions when they are many (each chunk still excludes them
    all)."""
    every = actions.all_actions()
    acts = every if acts is None else acts
    done = _acted_rows(acts)
    done = done[done.anchor_date.notna()]
    if done.empty:
        return _no_customers(wh, days, lookback).copy()
    # the comparison pool excludes the customers of every action, not only of the actions measured
    others = _acted_rows(every).drop_duplicates("customer_id").assign(action_id=0, anchor_date=None)
    room = max(MAX_BOUND_ROWS - len(others), 1)
    parts = [
        wh.run(
            "outcome_customers",
            scope,
            {"days": days, "lookback": lookback},
            rows=pd.concat([done.iloc[i : i + room], others], ignore_index=True),
        )
        for i in range(0, len(done), room)
    ]
    return pd.concat(parts, ignore_index=True)


@lru_cache(maxsize=16)
def _no_customers(wh: Warehouse, days: int, lookback: int) -> pd.DataFrame:
    """The query's answer without a done action: no rows, its columns (asked once per warehouse, not on
    every scorecard and actions page)."""
    empty = pd.DataFrame(columns=["action_id", "customer_id", "anchor_date"])
    return wh.run("outcome_customers", cohort_scope(wh), {"days": days, "lookback": lookback}, rows=empty)


def compare(cust: pd.DataFrame, acts: list[actions.Action], by: str) -> pd.DataFrame:
    """Measured customers vs their baselines per insight type, org node (of the action) or owner."""
    if by not in GROUPS:
        raise ValueError(f"by must be one of {', '.join(GROUPS)}")
    meta = actions.frame(acts)[["id", "insight_type", "org_id", "owner"]].rename(
        columns={"id": "action_id", "org_id": "action_org_id"}
    )
    key = "action_org_id" if by == "org_id" else by
    df = cust.merge(meta, on="action_id", how="inner")
    df = df[df.complete == 1]
    cols = [
        key,
        "actions_done",
        "customers",
        "matched",
        "reached_next",
        "control_reached",
        "actions",
        "control_actions",
        "amount",
        "control_amount",
        "effect_reached",
        "effect_actions",
        "effect_amount",
    ]
    if df.empty:
        return pd.DataFrame(columns=cols).rename(columns={key: by})
    df = df.assign(matched=(df.controls > 0).astype(int))
    m = df[df.matched == 1]
    base = df.groupby(key).agg(
        actions_done=("action_id", "nunique"), customers=("customer_id", "size"), matched=("matched", "sum")
    )
    means = m.groupby(key)[[c for pair in MEASURES for c in pair]].mean()
    out = base.join(means, how="left").reset_index()
    for treated, control in MEASURES:
        out[f"effect_{treated.split('_')[0]}"] = out[treated] - out[control]
    return out[cols].rename(columns={key: by}).sort_values(by).reset_index(drop=True)


def summary(cust: pd.DataFrame) -> dict[str, float]:
    """Overall figures: measured customers, matched, still measuring, and the effect on next-stage rate."""
    done = cust[cust.complete == 1]
    m = done[done.controls > 0]
    return {
        "customers": len(cust),
        "complete": len(done),
        "measuring": int((cust.complete == 0).sum()),
        "matched": len(m),
        "reached_next": m.reached_next.mean() if len(m) else float("nan"),
        "control_reached": m.control_reached.mean() if len(m) else float("nan"),
        "effect_reached": (m.reached_next - m.control_reached).mean() if len(m) else float("nan"),
    }


# Assessment: action completion and measured effect as one scorecard indicator (0..1) per org node.
# completion = actions done by their due date / actions due in the window (dismissed ones are not counted);
# effect = the average gain in next-stage rate over the comparable baseline (as above); it scores 0 at
# -EFFECT_SPAN,
# 0.5 at no gain and 1 at +EFFECT_SPAN. The indicator is the mean of the two, or completion alone while no
# effect is
# measured yet; a node with no action due cannot be scored. How much it weighs in the scorecard total is the
# scorecard's business (cockpit/domain/scorecard.yaml, queries/scorecard_scores.sql): this module only scores.
EFFECT_SPAN = 0.5
INDICATOR_COLUMNS = ["org_id", "due", "done_on_time", "completion", "effect", "score"]


def score(completion: float, effect: float) -> float:
    """The indicator's 0..1 score from completion (NaN: nothing due) and
    measured effect (NaN: none measured).
    """
    if completion != completion:
        return float("nan")
    if effect != effect:
        return completion
    return (completion + min(max((effect + EFFECT_SPAN) / (2 * EFFECT_SPAN), 0.0), 1.0)) / 2


def cohort_scope(wh: Warehouse) -> Scope:
    """The whole tree, for the scorecard's ranking only: peers must be scored on their own actions and
    customers
    as the query scores their other indicators on the whole tier (`cohort_orgs`); the warehouse layer then
    shows
    a user's peers as ranking rows only, and callers send peers' scores alone."""
    roots = tuple(wh.tree("select org_id from orgs where parent_id is null order by org_id").org_id)
    return Scope("scorecard-cohort", "executive", roots)


def indicator(wh: Warehouse, scope: Scope, org_ids: list[str], start, end, days: int = DAYS) -> pd.DataFrame:
    """Per node (its whole subtree within the scope): actions due in [start, end], done on time, completion,
    effect and the 0..1 score. Nodes outside the scope are refused."""
    asked = wh.paths(scope, org_ids)
    for node in org_ids:
        if node not in asked:
            wh.check_org(scope, node)
    window = [a for a in actions.all_actions() if start <= a.due_date <= end and a.status != "dismissed"]
    paths = wh.paths(scope, {a.org_id for a in window})  # of the actions' nodes only, not the whole tree
    due = [a for a in window if a.org_id in paths]
    counts = pd.DataFrame({"due": pd.Series(dtype=int), "done_on_time": pd.Series(dtype=int)})
    effects = pd.Series(dtype=float)
    if due:  # none due in the window (the usual case for a period without actions): nothing to count
        wanted = set(org_ids)
        # each due action counts for every requested node on its path (the node itself and its ancestors)
        under = pd.DataFrame(
            [
                {
                    "action_id": a.id,
                    "org_id": node,
                    "on_time": int(a.status == "done" and a.done_on is not None and a.done_on <= a.due_date),
                }
                for a in due
                for node in paths[a.org_id].strip("/").split("/")
                if node in wanted
            ],
            columns=["action_id", "org_id", "on_time"],
        )
        counts = under.groupby("org_id").agg(due=("action_id", "size"), done_on_time=("on_time", "sum"))
        cust = per_customer(wh, scope, due, days)
        m = cust[(cust.complete == 1) & (cust.controls > 0)]
        m = m.assign(gain=m.reached_next.astype(float) - m.control_reached.astype(float))[
            ["action_id", "gain"]
        ]
        effects = under[["action_id", "org_id"]].merge(m, on="action_id").groupby("org_id").gain.mean()
    out = pd.DataFrame({"org_id": list(org_ids)})
    out["due"] = out.org_id.map(counts.due).fillna(0).astype(int)
    out["done_on_time"] = out.org_id.map(counts.done_on_time).fillna(0).astype(int)
    out["completion"] = [d / n if n else float("nan") for d, n in zip(out.done_on_time, out.due)]
    out["effect"] = out.org_id.map(effects).astype(float)
    out["score"] = [score(c, e) for c, e in zip(out.completion, out.effect)]
    return out[INDICATOR_COLUMNS]
