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
    """One row per (done action among `acts`, customer in scope) with its measures and its comparable baseline.

    Every customer of every action (done or not, whoever's) is excluded from the comparison pool; ids go to the
    warehouse as bound rows, in chunks of done actions when they are many (each chunk still excludes them all)."""
    every = actions.all_actions()
    acts = every if acts is None else acts
    done = _acted_rows(acts)
    done = done[done.anchor_date.notna()]
    if done.empty:
        return wh.run("outcome_customers", scope, {"days": days, "lookback": lookback}, rows=done)
    # the comparison pool excludes the customers of every action, not only of the actions measured
    others = _acted_rows(every).drop_duplicates("customer_id").assign(action_id=0, anchor_date=None)
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


# Assessment: action completion and measured effect as one scorecard indicator (0..1) per org node.
# completion = actions done by their due date / actions due in the window (dismissed ones are not counted);
# effect = the average gain in next-stage rate over the comparable baseline (as above); it scores 0 at -EFFECT_SPAN,
# 0.5 at no gain and 1 at +EFFECT_SPAN. The indicator is the mean of the two, or completion alone while no effect is
# measured yet; a node with no action due cannot be scored and passes its weight to the other indicators.
EFFECT_SPAN = 0.5


def weight() -> float:
    """The indicator's weight out of 100: `action_loop: {weight: W}` in cockpit/scorecard.yaml (0 when absent)."""
    import yaml

    from cockpit import scorecard

    raw = yaml.safe_load(scorecard.CONFIG.read_text(encoding="utf-8")) or {}
    w = float((raw.get("action_loop") or {}).get("weight", 0))
    if not 0 <= w <= 100:
        raise ValueError(f"action_loop weight must be between 0 and 100, got {w:g}")
    return w


def indicator(wh: Warehouse, scope: Scope, org_ids: list[str], start, end, days: int = DAYS) -> pd.DataFrame:
    """Per node (its whole subtree): actions due in [start, end], done on time, completion, effect and the 0..1 score."""
    every = actions.all_actions()
    cust = per_customer(wh, scope, every, days)
    rows = []
    for node in org_ids:
        wh.check_org(scope, node)
        below = wh.visible_orgs(Scope(scope.username, scope.role, (node,))) & wh.visible_orgs(scope)
        due = [a for a in every if a.org_id in below and start <= a.due_date <= end and a.status != "dismissed"]
        on_time = [a for a in due if a.status == "done" and a.done_on is not None and a.done_on <= a.due_date]
        m = cust[cust.action_id.isin({a.id for a in due}) & (cust.complete == 1) & (cust.controls > 0)]
        completion = len(on_time) / len(due) if due else float("nan")
        effect = float((m.reached_next - m.control_reached).mean()) if len(m) else float("nan")
        effect_score = min(max((effect + EFFECT_SPAN) / (2 * EFFECT_SPAN), 0.0), 1.0) if effect == effect else float("nan")
        score = (completion if effect != effect else (completion + effect_score) / 2) if due else float("nan")
        rows.append({"org_id": node, "due": len(due), "done_on_time": len(on_time), "completion": completion,
                     "effect": effect, "score": score})
    return pd.DataFrame(rows, columns=["org_id", "due", "done_on_time", "completion", "effect", "score"])


def blend(total: float, score: float, w: float | None = None) -> float:
    """A scorecard total (0..100) with the indicator added at weight w (the other weights shrink to 100 - w);
    an unscored indicator leaves the total unchanged."""
    w = weight() if w is None else w
    if score != score or w == 0:
        return total
    return total * (100 - w) / 100 + score * w
