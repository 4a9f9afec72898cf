"""Target risk: a metric of the node or one of its children is red under the one status rule
(cockpit/domain/status.py) — behind its time progress by more than the amber margin — judged by the
targets math (cockpit/domain/targets.py) on the `metric_values` and `target_values` queries, exactly as the
targets page judges it.

Evidence: actual, target, pace achievement against time progress, and the pace needed per remaining
working day (targets.TargetView.needed_per_day). For the node itself the run-rate forecast to the
period's end is added (targets.forecast: an estimate, not given in the period's first days).

A short list: of the red (node, metric) pairs only the MAX_LISTED furthest behind are listed — ranked by
the gap to pace, 1 - pace achievement / time progress — and each says how many more are red (the targets
page shows them all).
"""

from __future__ import annotations

import pandas as pd

from cockpit.core import calendar, i18n
from cockpit.domain import metrics, targets
from cockpit.guidance import Context, Insight
from cockpit.guidance.names import named, org_label

FLAG = ("red",)
MAX_LISTED = 3


def most_behind(table: pd.DataFrame, ratio: float, n: int = MAX_LISTED) -> pd.DataFrame:
    """The n red rows of a targets.table furthest behind pace (largest 1 - pace
    / time progress), worst first.
    """
    red = table[table.status.isin(FLAG)]
    gap = 1 - red.pace.astype(float) / min(ratio, 1.0)
    return red.assign(gap=gap).sort_values(["gap", "org_id", "metric"], ascending=[False, True, True]).head(n)


def _inputs(ctx: Context) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame, calendar.Progress]:
    p = ctx.period
    frames = {
        k: ctx.run("metric_values", start=a, end=b, parent=ctx.org_id)
        for k, (a, b) in targets.windows(p).items()
    }
    tgt = ctx.run("target_values", period_type=p.kind, period_start=p.start, parent=ctx.org_id)
    cal = ctx.run("calendar_days", start=p.start, end=p.end)
    return frames, tgt, cal, calendar.progress(cal, p)


def target_table(ctx: Context) -> tuple[pd.DataFrame, calendar.Progress]:
    """One row per (node, metric) for the node and its children, as the targets page computes it."""
    frames, tgt, _, progress = _inputs(ctx)
    nodes = list(frames["current"].drop_duplicates("org_id").org_id) if not frames["current"].empty else []
    return targets.table(frames, tgt, nodes, targets.targeted_metrics(tgt), progress), progress


def find(ctx: Context) -> list[Insight]:
    frames, tgt, cal, progress = _inputs(ctx)
    if frames["current"].empty or progress.not_started:
        return []
    nodes = list(frames["current"].drop_duplicates("org_id").org_id)
    table = targets.table(frames, tgt, nodes, targets.targeted_metrics(tgt), progress)
    red = most_behind(table, progress.ratio)
    more = int(table.status.isin(FLAG).sum()) - len(red)
    series = (
        ctx.run(
            "metric_values", start=ctx.period.start, end=ctx.period.to_date, parent=ctx.org_id, grain="day"
        )
        if (red.org_id == ctx.org_id).any()
        else None
    )
    out = []
    for row in red.itertuples():
        m = metrics.get(row.metric)
        fc = None
        if row.org_id == ctx.org_id and series is not None:
            daily = series[series.metric == row.metric]
            fc = targets.forecast(daily, cal, progress, targets.opening(frames, row.org_id, row.metric))
        view = targets.node_view(frames, tgt, row.org_id, row.metric, progress, fc=fc)
        out.append(
            Insight(
                "target_risk",
                "executive" if row.org_id == ctx.org_id else "branch_head",
                3 if m.is_stock else 2,
                row.org_id,
                {
                    "actual": (view.actual, m.unit),
                    "target": (view.target, m.unit),
                    "achievement": (view.achievement, "pct"),
                    "pace": (view.pace, "pct"),
                    "time_progress": (progress.ratio, "pct"),
                    "pace_needed": (view.needed_per_day, m.unit),
                    "remaining": (progress.remaining, "count"),
                    "more": (more, "count"),
                    "min_increase": (targets.MIN_PLANNED_INCREASE, "pct"),
                },
                {
                    "node": org_label(ctx, row.org_id),
                    "metric": (m.name("zh"), m.name("en")),
                    "forecast_note": tuple(_forecast_note(view.forecast, m, lang) for lang in ("zh", "en")),
                    "more_note": tuple(
                        i18n.t("guidance.target_risk.more_note", lang, more=i18n.count(more, lang))
                        if more
                        else ""
                        for lang in ("zh", "en")
                    ),
                },
                named(
                    ctx,
                    table[table.metric == row.metric][
                        ["org_id", "actual", "target", "achievement", "pace", "status"]
                    ].reset_index(drop=True),
                    "org_id",
                ),
            )
        )
    return out


def _forecast_note(fc: targets.Forecast | None, m: metrics.Metric, lang: str) -> str:
    return i18n.t("guidance.target_risk.forecast_note", lang, forecast=m.fmt(fc.value, lang)) if fc else ""
