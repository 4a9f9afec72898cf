"""Outcome: which guidance works — what followed done actions, against comparable customers with no action.

Rule (RULE; shown on the page):
- Anchor: the day an action was marked done. Each customer of a done action is measured over the N days
  after it (anchor excluded); a window that has not ended by the warehouse's as-of date is still measuring
  and left out of the comparison.
- Measures: next SICAS stage reached (any event at a stage beyond the furthest stage of the LOOKBACK days up to
  the anchor; no event at all counts as stage 0), the number of Actions, and their volume (the warehouse holds
  balances per org node, not per customer, so a customer's new money is the amount of their Actions).
- Comparison: for each measured customer, the customers of the same org node, same segment and same starting
  stage on the same anchor day who are on no action at all; their average is that customer's baseline.
  A customer with no such peer is counted as unmatched and left out. Groups (insight type, org node, owner)
  average the customers' measures and their baselines, so the baseline has the customers' own mix.
The per-customer SQL is `queries/outcome_customers.sql`; action customers reach it as bound rows.
"""
from __future__ import annotations

import pandas as pd

from cockpit import actions
from cockpit.warehouse import MAX_BOUND_ROWS, Scope, Warehouse

DAYS = 30
LOOKBACK = 90
GROUPS = ("insight_type", "org_id", "owner")
MEASURES = (("reached_next", "control_reached"), ("actions", "control_actions"), ("amount", "control_amount"))


def _acted_rows(acts: list[actions.Action]) -> pd.DataFrame:
    rows = [{"action_id": a.id, "customer_id": c, "anchor_date": a.done_on if a.status == "done" else None}
            for a in acts for c in a.customers]
    return pd.DataFrame(rows, columns=["action_id", "customer_id", "anchor_date"])


def per_customer(wh: Warehouse, scope: Scope, acts: list[actions.Action] | None = None,
                 days: int = DAYS, lookback: int = LOOKBACK) -> pd.DataFrame:
    """One row per (done action, customer in scope) with its measures and its comparable baseline.

    Every customer of every action (done or not) is excluded from the comparison pool; ids go to the warehouse as
    bound rows, in chunks of done actions when they are many (each chunk still excludes every acted customer)."""
    acts = actions.all_actions() if acts is None else acts
    acted = _acted_rows(acts)
    done = acted[acted.anchor_date.notna()]
    if done.empty:
        return wh.run("outcome_customers", scope, {"days": days, "lookback": lookback}, rows=acted.head(0))
    others = acted.drop_duplicates("customer_id").assign(action_id=0, anchor_date=None)
    room = max(MAX_BOUND_ROWS - len(others), 1)
    parts = [wh.run("outcome_customers", scope, {"days": days, "lookback": lookback},
                    rows=pd.concat([done.iloc[i:i + room], others], ignore_index=True))
             for i in range(0, len(done), room)]
    return pd.concat(parts, ignore_index=True)


def compare(cust: pd.DataFrame, acts: list[actions.Action], by: str) -> pd.DataFrame:
    """Measured customers vs their baselines per insight type, org node (of the action) or owner."""
    if by not in GROUPS:
        raise ValueError(f"by must be one of {', '.join(GROUPS)}")
    meta = actions.frame(acts)[["id", "insight_type", "org_id", "owner"]].rename(columns={"id": "action_id", "org_id": "action_org_id"})
    key = "action_org_id" if by == "org_id" else by
    df = cust.merge(meta, on="action_id", how="inner")
    df = df[df.complete == 1]
    cols = [key, "actions_done", "customers", "matched", "reached_next", "control_reached", "actions", "control_actions",
            "amount", "control_amount", "effect_reached", "effect_actions", "effect_amount"]
    if df.empty:
        return pd.DataFrame(columns=cols).rename(columns={key: by})
    df = df.assign(matched=(df.controls > 0).astype(int))
    m = df[df.matched == 1]
    base = df.groupby(key).agg(actions_done=("action_id", "nunique"), customers=("customer_id", "size"),
                               matched=("matched", "sum"))
    means = m.groupby(key)[[c for pair in MEASURES for c in pair]].mean()
    out = base.join(means, how="left").reset_index()
    for treated, control in MEASURES:
        out[f"effect_{treated.split('_')[0]}"] = out[treated] - out[control]
    return out[cols].rename(columns={key: by}).sort_values(by).reset_index(drop=True)


def summary(cust: pd.DataFrame) -> dict[str, float]:
    """Overall figures: measured customers, matched, still measuring, and the effect on next-stage rate."""
    done = cust[cust.complete == 1]
    m = done[done.controls > 0]
    return {"customers": len(cust), "complete": len(done), "measuring": int((cust.complete == 0).sum()),
            "matched": len(m), "reached_next": m.reached_next.mean() if len(m) else float("nan"),
            "control_reached": m.control_reached.mean() if len(m) else float("nan"),
            "effect_reached": (m.reached_next - m.control_reached).mean() if len(m) else float("nan")}
