"""Target risk: a targeted metric of the node or one of its children that will miss, judged by the
targets math (cockpit/domain/targets.py) on the `metric_values` and `target_values` queries, exactly as the
targets page judges it. At risk when any of these holds:

- red under the one status rule (cockpit/domain/status.py): behind its time progress by more than the amber
  margin;
- the run-rate forecast to the period's end (targets.forecast) misses the target even at the top of its
  80% range, while the status may still be green (a balance running off near its target);
- a balance metric has fallen below its opening balance while its target is above it.

Severity: high when the period ends SEVERE_SHORTFALL or more below the target (by the forecast), medium
for a smaller shortfall or a red status, a note otherwise. Evidence: actual, target, pace against time
progress, the forecast and by how much it misses at the period's end, the pace needed per remaining
working day. Every at-risk pair is an insight, the furthest
behind first (ranked by the forecast's shortfall against the target, then by the gap to pace); the page
shows the first few and counts the rest. A metric that also ended the previous period below its target
is a standing condition (listed after the news, marked so). In a closed period nothing is advised: the
result is stated.
"""

from __future__ import annotations

import pandas as pd

from cockpit.core import calendar, i18n
from cockpit.domain import metrics, targets
from cockpit.guidance import Context, Insight
from cockpit.guidance.names import named, org_label

FLAG = ("red",)
EVIDENCE = [
    "org_id",
    "actual",
    "target",
    "achievement",
    "pace",
    "status",
]  # the table's columns an insight shows
SEVERE_SHORTFALL = 0.1  # the period ends this far below the target (forecast, else actual): high


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
    ids = targets.targeted_metrics(tgt)
    cells = targets.Cells.of(frames, tgt)
    table = targets.table(frames, tgt, nodes, ids, progress, cells)
    ended = progress.remaining <= 0
    missed = _missed_last_period(ctx)
    found = []
    targeted = dict(tuple(table[table.target.notna()].groupby("org_id", sort=False)))  # split once
    for org in sorted(nodes, key=lambda o: (o != ctx.org_id, o)):
        rows = targeted.get(org)
        if rows is None:
            continue
        series = ctx.run(
            "metric_values", start=ctx.period.start, end=ctx.period.to_date, parent=org, grain="day"
        )
        mine = series[series.org_id == org]
        by_metric = dict(tuple(mine.groupby("metric", sort=False)))  # split once, not per metric
        for row in rows.itertuples():
            m = metrics.get(row.metric)
            fc = None
            if not ended and m.higher_is_better:
                daily = by_metric.get(row.metric, mine.iloc[:0])
                fc = targets.forecast(daily, cal, progress, targets.opening(frames, org, row.metric, cells))
            view = targets.node_view(frames, tgt, org, row.metric, progress, fc=fc, cells=cells)
            reasons = _reasons(view, m, targets.opening(frames, org, row.metric, cells))
            if reasons:
                found.append((view, m, org, reasons))
    found.sort(key=lambda f: (-_shortfall(f[0]), f[2], f[0].metric))
    evidence = {
        metric: named(ctx, part[EVIDENCE].reset_index(drop=True), "org_id")
        for metric, part in table.groupby("metric", sort=False)
        if metric in {view.metric for view, *_ in found}
    }  # one evidence table per metric, shared by its insights
    return [
        _insight(
            ctx, evidence[view.metric], progress, view, m, org, reasons, ended, (org, view.metric) in missed
        )
        for view, m, org, reasons in found
    ]


def _missed_last_period(ctx: Context) -> set[tuple[str, str]]:
    """(node, metric) pairs of the node and its children that ended the previous period below target."""
    prev = ctx.period.shifted(-1)
    values = ctx.run("metric_values", start=prev.start, end=prev.end, parent=ctx.org_id)
    tgt = ctx.run("target_values", period_type=prev.kind, period_start=prev.start, parent=ctx.org_id)
    if values.empty or tgt.empty:
        return set()
    both = values.merge(tgt, on=["org_id", "metric"])
    higher = both.metric.map(lambda mid: metrics.get(mid).higher_is_better)
    return {(r.org_id, r.metric) for r in both[higher & (both.value < both.target_value)].itertuples()}


def _reasons(view: targets.TargetView, m: metrics.Metric, opening: float) -> list[str]:
    """Why a metric is at risk: red, forecast_miss, run_off (the balance fell below its opening)."""
    if view.target is None or view.actual is None or not m.higher_is_better:
        return []
    out = []
    if view.status in FLAG:
        out.append("red")
    if view.forecast is not None and view.forecast.high < view.target:
        out.append("forecast_miss")
    if m.is_stock and opening and view.actual < opening < view.target:
        out.append("run_off")
    return out


def _both(text) -> tuple[str, str]:
    """A label in both languages from a function of the language."""
    return text("zh"), text("en")


def _shortfall(view: targets.TargetView) -> float:
    """How far below the target the period ends, as a share of the target (the forecast, else the actual)."""
    end = view.forecast.value if view.forecast is not None else view.actual
    if not view.target or end is None:
        return 0.0
    return 1 - end / view.target


def _insight(ctx, evidence, progress, view, m, org, reasons, ended, standing) -> Insight:
    fc = view.forecast
    short = (view.target - fc.value) if fc is not None else float("nan")
    severity = (
        3 if _shortfall(view) >= SEVERE_SHORTFALL else 2 if _shortfall(view) > 0 or "red" in reasons else 1
    )

    def words(lang: str) -> str:
        return (
            "、".join(i18n.t(f"guidance.target_risk.reason.{r}", lang) for r in reasons)
            if lang == "zh"
            else (", ".join(i18n.t(f"guidance.target_risk.reason.{r}", lang) for r in reasons))
        )

    return Insight(
        "target_risk",
        "executive" if org == ctx.org_id else "branch_head",
        severity,
        org,
        {
            "actual": (view.actual, m.unit),
            "target": (view.target, m.unit),
            "achievement": (view.achievement, "pct"),
            "pace": (view.pace, "pct"),
            "time_progress": (progress.ratio, "pct"),
            "pace_needed": (view.needed_per_day, m.unit),
            "remaining": (progress.remaining, "count"),
            "min_increase": (targets.MIN_PLANNED_INCREASE, "pct"),
            "forecast": (fc.value if fc is not None else float("nan"), m.unit),
            "shortfall": (short, m.unit),
            "shortfall_share": (short / view.target if view.target else float("nan"), "pct"),
        },
        {
            "node": org_label(ctx, org),
            "metric": (m.name("zh"), m.name("en")),
            "reasons": (words("zh"), words("en")),
            "standing_note": _both(
                lambda lang: i18n.t("guidance.target_risk.standing", lang) if standing else ""
            ),
            "period_end": (ctx.period.end.isoformat(), ctx.period.end.isoformat()),
            "forecast_note": _both(
                lambda lang: (
                    i18n.t(
                        "guidance.target_risk.forecast_note",
                        lang,
                        forecast=m.fmt(fc.value, lang),
                        end=ctx.period.end.isoformat(),
                        short=m.fmt(short, lang),
                        share=i18n.pct(short / view.target, lang),
                    )
                    if fc is not None and short > 0
                    else ""
                )
            ),
            "advice": _both(
                lambda lang: (
                    i18n.t("guidance.target_risk.closed", lang)
                    if ended
                    else i18n.t(
                        "guidance.target_risk.advice",
                        lang,
                        remaining=i18n.count(progress.remaining, lang),
                        pace_needed=m.fmt_pace(view.needed_per_day, lang)
                        if view.needed_per_day is not None
                        else "—",
                    )
                )
            ),
        },
        evidence,
        key=("target_risk", org, view.metric),
        standing=standing,
    )
