"""Operating targets: achievement, time progress, pace, run-rate forecast, MoM / YoY and status.

Figures come from the named queries `metric_values` (actuals) and `target_values` (targets);
this module only combines them, so the targets page, guidance and reports agree.

- Flow metrics (sum, distinct): achievement = actual to date / the period's target.
- Stock metrics (balances, period_end): achievement = balance / target is shown, but pace is judged on
  the planned *increase* made so far, (balance - opening balance) / (target - opening balance), because
  a balance starts the period near its target (余额 vs 增量) — as long as the planned increase is material
  (at least MIN_PLANNED_INCREASE of the target). A target at, below or within a hair of the opening balance
  asks to hold the balance: dividing by a near-zero increase would turn a small dip into -3000%, so the
  balance is then compared with the target directly.
- The forecast is a run-rate over working days, with an 80% range from the spread of the daily changes;
  it is an estimate and is not given in a period's first FORECAST_MIN_DAYS working days.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass

import pandas as pd

from cockpit.core import calendar
from cockpit.core.calendar import Progress
from cockpit.core.periods import Period
from cockpit.domain import metrics
from cockpit.domain import status as rules

FORECAST_MIN_DAYS = 5
MIN_PLANNED_INCREASE = (
    0.01  # a balance's planned increase below 1% of its target is a "hold the balance" target
)
Z80 = 1.2816  # two-sided 80% normal interval


def achievement(actual: float | None, target: float | None) -> float | None:
    """actual / target, or None when the target is missing, zero or negative (shown as "no target")."""
    if actual is None or target is None or any(math.isnan(x) for x in (actual, target)) or target <= 0:
        return None
    return actual / target


def pace_achievement(
    metric: metrics.Metric, actual: float | None, target: float | None, base: float | None
) -> float | None:
    """The achievement judged against time progress: of the target (flows) or of the planned increase (stocks,
    when that increase is material; otherwise the balance against the target)."""
    if (
        not metric.is_stock
        or base is None
        or target is None
        or actual is None
        or math.isnan(base)
        or math.isnan(target)
    ):
        return achievement(actual, target)
    if target - base >= MIN_PLANNED_INCREASE * abs(target):
        return achievement(actual - base, target - base)
    return achievement(actual, target)


def windows(period: Period) -> dict[str, tuple[dt.date, dt.date]]:
    """The date windows a target view needs: current to date and the comparable MoM and YoY windows.

    (`metric_values` gives each balance's opening value, the day before the window, with the current one.)"""
    return {
        "current": (period.start, period.to_date),
        "previous": period.previous(),
        "year_ago": period.year_ago(),
    }


@dataclass(frozen=True)
class Forecast:
    value: float
    low: float
    high: float


def forecast(
    series: pd.DataFrame, cal: pd.DataFrame, progress: Progress, base: float = 0.0
) -> Forecast | None:
    """Run-rate forecast to the period's end from a daily series (`day`, `value`) of a cumulative flow or a
    balance.

    The mean change per elapsed working day is carried over the remaining working days; the range is
    +-Z80 x (standard deviation of the daily changes) x sqrt(remaining days). None in the first days.
    """
    if progress.elapsed < FORECAST_MIN_DAYS or series.empty:
        return None
    by_day = dict(zip(pd.to_datetime(series["day"]).dt.date, series["value"].astype(float)))
    days = calendar.workdays(cal, min(by_day), max(by_day))
    values = [by_day[d] for d in days if d in by_day and not math.isnan(by_day[d])]
    if not values:
        return None
    steps = [b - a for a, b in zip([base, *values[:-1]], values)]
    mean = (values[-1] - base) / len(values)
    spread = statistics.stdev(steps) if len(steps) > 1 else 0.0  # sample deviation, as pandas' std
    mid = values[-1] + mean * progress.remaining
    half = Z80 * float(spread) * math.sqrt(progress.remaining)
    return Forecast(mid, mid - half, mid + half)


@dataclass(frozen=True)
class TargetView:
    """Everything the targets page, guidance and reports say about one metric at one node."""

    metric: str
    actual: float | None
    target: float | None
    achievement: float | None
    pace: float | None
    progress: Progress
    status: str
    days_ahead: float | None
    needed_per_day: float | None
    mom: float | None
    yoy: float | None
    forecast: Forecast | None = None


def _change(now: float | None, before: float | None) -> float | None:
    if now is None or before is None or math.isnan(now) or math.isnan(before) or before == 0:
        return None
    return now / before - 1


def evaluate(
    metric_id: str,
    actual: float | None,
    target: float | None,
    progress: Progress,
    base: float | None = None,
    previous: float | None = None,
    year_ago: float | None = None,
    fc: Forecast | None = None,
) -> TargetView:
    m = metrics.get(metric_id)
    pace = pace_achievement(m, actual, target, base)
    ahead = None
    if (
        pace is not None and not progress.not_started
    ):  # clipped: a stock far off plan is 'more than the period' behind
        ahead = max(-progress.total, min(progress.total, (pace - min(progress.ratio, 1.0)) * progress.total))
    needed = None
    if (
        target is not None
        and actual is not None
        and progress.remaining > 0
        and achievement(actual, target) is not None
    ):
        needed = max(target - actual, 0.0) / progress.remaining
    return TargetView(
        metric_id,
        actual,
        target,
        achievement(actual, target),
        pace,
        progress,
        rules.status(pace, progress.ratio),
        ahead,
        needed,
        _change(actual, previous),
        _change(actual, year_ago),
        fc if not progress.ended else None,
    )


def _cells(frame: pd.DataFrame, column: str = "value") -> dict[tuple[str, str], float | None]:
    """(node, metric) -> the column's value in the pair's first row (None when null): read once, because a
    table of a node, its children and their metrics looks up hundreds of cells."""
    if frame.empty:
        return {}
    first = frame.drop_duplicates(["org_id", "metric"])
    values = first[column].tolist()  # plain lists: iterating Arrow-backed columns value by value is slow
    return {
        (o, m): None if pd.isna(v) else float(v)
        for o, m, v in zip(first["org_id"].tolist(), first["metric"].tolist(), values)
    }


@dataclass(frozen=True)
class Cells:
    """The figures a target view reads from the `metric_values` frames of `windows()` and the targets."""

    actual: dict[tuple[str, str], float | None]
    opening: dict[tuple[str, str], float | None]
    target: dict[tuple[str, str], float | None]
    previous: dict[tuple[str, str], float | None]
    year_ago: dict[tuple[str, str], float | None]

    @classmethod
    def of(cls, frames: dict[str, pd.DataFrame], targets: pd.DataFrame) -> Cells:
        return cls(
            _cells(frames["current"]),
            _cells(frames["current"], "opening"),
            _cells(targets, "target_value"),
            _cells(frames["previous"]),
            _cells(frames["year_ago"]),
        )


def opening(
    frames: dict[str, pd.DataFrame], org_id: str, metric_id: str, cells: Cells | None = None
) -> float:
    """Where a series starts: the opening balance for a stock metric, zero for a flow."""
    if not metrics.get(metric_id).is_stock:
        return 0.0
    found = (cells.opening if cells else _cells(frames["current"], "opening")).get((org_id, metric_id))
    return found or 0.0


def targeted_metrics(targets: pd.DataFrame) -> list[str]:
    """Metrics with a target for this period, in dictionary order."""
    have = set(targets["metric"]) if not targets.empty else set()
    return [m for m in metrics.ids() if m in have]


def node_view(
    frames: dict[str, pd.DataFrame],
    targets: pd.DataFrame,
    org_id: str,
    metric_id: str,
    progress: Progress,
    fc: Forecast | None = None,
    cells: Cells | None = None,
) -> TargetView:
    """The view of one metric at one node, from the `metric_values` frames of `windows()` and the targets
    (`cells`: the same, already indexed by `Cells.of`)."""
    c = cells or Cells.of(frames, targets)
    key = (org_id, metric_id)
    return evaluate(
        metric_id,
        c.actual.get(key),
        c.target.get(key),
        progress,
        base=c.opening.get(key),
        previous=c.previous.get(key),
        year_ago=c.year_ago.get(key),
        fc=fc,
    )


TABLE_COLUMNS = [
    "org_id",
    "name_zh",
    "name_en",
    "metric",
    "actual",
    "target",
    "achievement",
    "pace",
    "status",
    "days_ahead",
    "mom",
    "yoy",
]


def table(
    frames: dict[str, pd.DataFrame],
    targets: pd.DataFrame,
    org_ids: list[str],
    metric_ids: list[str],
    progress: Progress,
    cells: Cells | None = None,
) -> pd.DataFrame:
    """One row per (node, metric): actual, target, achievement, pace, status, days ahead, MoM, YoY (`cells`:
    the frames' `Cells.of`, when the caller reads them more than once)."""
    names = (
        frames["current"].drop_duplicates("org_id").set_index("org_id")
        if not frames["current"].empty
        else None
    )
    cells = Cells.of(frames, targets) if cells is None else cells
    rows = []
    for org in org_ids:
        for mid in metric_ids:
            v = node_view(frames, targets, org, mid, progress, cells=cells)
            rows.append(
                {
                    "org_id": org,
                    "name_zh": names.loc[org, "name_zh"] if names is not None and org in names.index else org,
                    "name_en": names.loc[org, "name_en"] if names is not None and org in names.index else org,
                    "metric": mid,
                    "actual": v.actual,
                    "target": v.target,
                    "achievement": v.achievement,
                    "pace": v.pace,
                    "status": v.status,
                    "days_ahead": v.days_ahead,
                    "mom": v.mom,
                    "yoy": v.yoy,
                }
            )
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)  # no targets (an imported source): empty, same columns


def pace_path(cal: pd.DataFrame, period: Period, target: float | None, base: float = 0.0) -> pd.DataFrame:
    """The on-pace line: from the opening value to the target, advancing by
    working days (flat on days off).
    """
    if target is None:
        return pd.DataFrame(columns=["day", "value"])
    work = set(calendar.workdays(cal, period.start, period.end))
    total = max(len(work), 1)
    days = [period.start + dt.timedelta(days=i) for i in range((period.end - period.start).days + 1)]
    done, rows = 0, []
    for d in days:
        done += d in work
        rows.append({"day": d, "value": base + (target - base) * done / total})
    return pd.DataFrame(rows)


def for_display(table: pd.DataFrame, lang: str, status_labels: dict[str, str], name_col: str) -> pd.DataFrame:
    """The table with figures formatted by each metric's unit (万/亿, %) and statuses translated."""
    from cockpit.core import i18n

    out = pd.DataFrame(
        {
            "name": table[name_col],
            "metric": [metrics.get(m).name(lang) for m in table["metric"]],
            "actual": [metrics.get(m).fmt(v, lang) for m, v in zip(table["metric"], table["actual"])],
            "target": [metrics.get(m).fmt(v, lang) for m, v in zip(table["metric"], table["target"])],
            "achievement": [i18n.pct(v, lang) for v in table["achievement"]],
            "pace": [i18n.pct(v, lang) for v in table["pace"]],
            "status": [status_labels[s] for s in table["status"]],
            "days_ahead": [i18n.fmt(v, "days", lang) for v in table["days_ahead"]],
            "mom": [i18n.pct(v, lang) for v in table["mom"]],
            "yoy": [i18n.pct(v, lang) for v in table["yoy"]],
        }
    )
    return out.astype(object).where(out.notna(), "—")
