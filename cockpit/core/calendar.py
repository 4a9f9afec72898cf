"""Working days and time progress, from the warehouse `calendar` table (query `calendar_days`).

Time progress is counted in working days, not calendar days, so a month with a week-long holiday
is not reported as "behind" during it. Days the table does not hold (a year an admin has not
loaded yet) fall back to Monday-Friday, so progress is never undefined.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from cockpit.core.periods import Period

QUERY = "calendar_days"


@dataclass(frozen=True)
class Progress:
    """Working days in a period: total, elapsed up to the as-of date (inclusive), and the share elapsed."""

    total: int
    elapsed: int

    @property
    def remaining(self) -> int:
        return self.total - self.elapsed

    @property
    def ratio(self) -> float:
        return self.elapsed / self.total if self.total else 1.0

    @property
    def not_started(self) -> bool:
        return self.elapsed == 0

    @property
    def ended(self) -> bool:
        return self.elapsed >= self.total


def workdays(calendar: pd.DataFrame, start: dt.date, end: dt.date) -> list[dt.date]:
    """The working days between start and end inclusive, from `calendar_days` rows."""
    known = (
        dict(zip(pd.to_datetime(calendar["cal_date"]).dt.date, calendar["is_workday"].astype(bool)))
        if "cal_date" in calendar and len(calendar)
        else {}
    )  # converted as columns: a forecast per (node, metric) asks this of the same calendar
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    return [d for d in days if known.get(d, d.weekday() < 5)]


def progress(calendar: pd.DataFrame, period: Period) -> Progress:
    """Time progress of `period` at its as-of date, in working days."""
    days = workdays(calendar, period.start, period.end)
    return Progress(total=len(days), elapsed=sum(1 for d in days if d <= period.as_of))
