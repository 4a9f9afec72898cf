"""Target risk: a metric of the node or one of its children is red under the one status rule
(cockpit/status.py) — behind its time progress by more than the amber margin — judged by the
targets math (cockpit/targets.py) on the `metric_values` and `target_values` queries.

For the node itself the run-rate forecast to the period's end is shown when the targets math gives
one; for every flagged node, the pace needed per remaining working day.
"""
from __future__ import annotations

import pandas as pd

from cockpit import calendar, metrics, targets
from cockpit.guidance import Context, Insight
from cockpit.guidance.names import org_label

FLAG = ("red",)


def target_table(ctx: Context) -> tuple[pd.DataFrame, calendar.Progress]:
    """One row per (node, metric) for the node and its children, as the targets page computes it."""
    p = ctx.period
    frames = {k: ctx.run("metric_values", start=a, end=b, parent=ctx.org_id) for k, (a, b) in targets.windows(p).items()}
    tgt = ctx.run("target_values", period_type=p.kind, period_start=p.start, parent=ctx.org_id)
    cal = ctx.run("calendar_days", start=p.start, end=p.end)
    progress = calendar.progress(cal, p)
    nodes = list(frames["current"].drop_duplicates("org_id").org_id) if not frames["current"].empty else []
    return targets.table(frames, tgt, nodes, targets.targeted_metrics(tgt), progress), progress


def find(ctx: Context) -> list[Insight]:
    table, progress = target_table(ctx)
    if table.empty or progress.not_started:
        return []
    out = []
    for row in table[table.status.isin(FLAG)].itertuples():
        m = metrics.get(row.metric)
        needed = max(row.target - row.actual, 0.0) / progress.remaining if progress.remaining and row.target else float("nan")
        now = (row.actual - 0) / progress.elapsed if not m.is_stock and progress.elapsed else float("nan")
        forecast = row.actual + now * progress.remaining if now == now else float("nan")
        out.append(Insight(
            "target_risk", "executive" if row.org_id == ctx.org_id else "branch_head", 3 if m.is_stock else 2, row.org_id,
            {"actual": (row.actual, m.unit), "target": (row.target, m.unit), "achievement": (row.achievement, "pct"),
             "pace": (row.pace, "pct"), "time_progress": (progress.ratio, "pct"), "forecast": (forecast, m.unit),
             "pace_needed": (needed, m.unit), "pace_now": (now, m.unit), "remaining": (progress.remaining, "count")},
            {"node": org_label(ctx, row.org_id), "metric": (m.name("zh"), m.name("en"))},
            table[table.metric == row.metric][["org_id", "actual", "target", "achievement", "pace", "status"]].reset_index(drop=True)))
    return out
