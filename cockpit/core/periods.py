"""Reporting periods: month, quarter, year; the part already elapsed; fair comparisons.

A period that contains the as-of date is compared to date: the previous period and the same
period last year are cut at the same day offset, so a half-finished month is never set against
a whole one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

KINDS = ("month", "quarter", "year")
MONTHS = {"month": 1, "quarter": 3, "year": 12}  # the length of each kind of period


RECENT = {"month": 24, "quarter": 8, "year": 2}  # periods a picker offers at least


TREND_WEEKS = 13  # the weekly trends' length in calendar weeks (the SICAS page's, stored by the build)


def trend_start(end: dt.date, weeks: int = TREND_WEEKS) -> dt.date:
    """The Monday that starts the weekly trend ending with the week of `end`."""
    return end - dt.timedelta(days=end.weekday()) - dt.timedelta(weeks=weeks - 1)


def periods_back_to(kind: str, as_of: dt.date, first: dt.date | None) -> int:
    """How many periods of a kind, counting back from the one holding `as_of`, reach the one holding `first`
    (the data's first day), and at least the RECENT ones: no month with data is out of reach."""
    if first is None or first > as_of:
        return RECENT[kind]
    lo = Period.containing(kind, first, as_of).start
    hi = Period.containing(kind, as_of, as_of).start
    return max(RECENT[kind], ((hi.year - lo.year) * 12 + hi.month - lo.month) // MONTHS[kind] + 1)


def _add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return dt.date(d.year + y, m + 1, 1)


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    as_of: dt.date

    @classmethod
    def containing(cls, kind: str, day: dt.date, as_of: dt.date) -> Period:
        if kind not in KINDS:
            raise ValueError(f"period kind must be one of {', '.join(KINDS)}")
        if kind == "month":
            start = day.replace(day=1)
        elif kind == "quarter":
            start = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        else:
            start = dt.date(day.year, 1, 1)
        return cls(kind, start, as_of)

    @property
    def months(self) -> int:
        return MONTHS[self.kind]

    @property
    def end(self) -> dt.date:
        """The period's last day."""
        return _add_months(self.start, self.months) - dt.timedelta(days=1)

    @property
    def to_date(self) -> dt.date:
        """The last day with data inside the period: its end, or the as-of date if earlier."""
        return min(self.end, self.as_of)

    @property
    def is_complete(self) -> bool:
        return self.end <= self.as_of

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}"

    def shifted(self, n: int) -> Period:
        """The period n periods later (negative: earlier)."""
        return Period(self.kind, _add_months(self.start, n * self.months), self.as_of)

    def comparable(self, other: Period) -> tuple[dt.date, dt.date]:
        """(start, end) of `other` cut to the same elapsed length as this period."""
        elapsed = (self.to_date - self.start).days
        return other.start, min(other.end, other.start + dt.timedelta(days=elapsed))

    def previous(self) -> tuple[dt.date, dt.date]:
        return self.comparable(self.shifted(-1))

    def recent(self) -> tuple[dt.date, dt.date]:
        """The recent window of the guidance's rate rules: the period to date, widened to at least the last
        three months (a month's first weeks hold too few customers to compare)."""
        back = self.to_date.replace(day=1)
        for _ in range(2):
            back = (back - dt.timedelta(days=1)).replace(day=1)
        return min(self.start, back), self.to_date

    def year_ago(self) -> tuple[dt.date, dt.date]:
        return self.comparable(self.shifted(-12 // self.months))

    @classmethod
    def parse(cls, label: str, as_of: dt.date) -> Period:
        """'2026-11' month, '2026Q4' quarter, '2026' year."""
        s = label.strip().upper()
        try:
            if "Q" in s:
                y, q = s.split("Q")
                return cls("quarter", dt.date(int(y), 3 * (int(q) - 1) + 1, 1), as_of)
            if "-" in s:
                y, m = s.split("-")
                return cls("month", dt.date(int(y), int(m), 1), as_of)
            return cls("year", dt.date(int(s), 1, 1), as_of)
        except (ValueError, TypeError):
            raise ValueError(f"period {label!r} is not like 2026-11, 2026Q4 or 2026") from None


def current_windows(as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The month, quarter and year holding `as_of`, each to that day: the periods a page opens on."""
    return sorted({(p.start, p.to_date) for p in (Period.containing(k, as_of, as_of) for k in KINDS)})
