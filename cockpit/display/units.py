"""One formatter per unit, so a figure reads the same everywhere: scores with one decimal, counts whole,
rates with %, a money column in 万 or 亿 (thousand or million in English) with the unit stated once, in the
header. A single sum of money (a headline, a sentence) is `i18n.money`, the one formatter the rules and the
guidance below this layer also use."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from babel.numbers import format_decimal

from cockpit.core import i18n

_LOCALE = {"zh": "zh_CN", "en": "en_US"}
BLANK = "—"


def missing(value: object) -> bool:
    """None, NaN, NaT, an empty string or an infinite number: shown as a dash, never as None or nan."""
    if value is None or (isinstance(value, str) and value.strip() in ("", "None", "nan", "NaT")):
        return True
    try:
        return bool(math.isnan(value) or math.isinf(value))  # type: ignore[arg-type]
    except TypeError:
        return value != value


def score(value: object, lang: str = "zh") -> str:
    """A score out of 100 with one decimal: 79.8."""
    if missing(value):
        return BLANK
    return format_decimal(round(float(value), 1), locale=_LOCALE[lang], format="#,##0.0")  # type: ignore[arg-type]


def count(value: object, lang: str = "zh") -> str:
    """A whole number with thousands separators (customers, actions, referrals are never fractional)."""
    return BLANK if missing(value) else i18n.count(float(value), lang)  # type: ignore[arg-type]


def rate(value: object, lang: str = "zh") -> str:
    """A ratio (0.123) as a percentage with one decimal (12.3%)."""
    return BLANK if missing(value) else i18n.pct(float(value), lang)  # type: ignore[arg-type]


def day(value: object, lang: str = "zh") -> str:
    """A date as 2026-11-05, a timestamp to the minute."""
    if missing(value):
        return BLANK
    if isinstance(value, str):
        text = value
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            return text
    if isinstance(value, dt.datetime):
        if (value.hour, value.minute, value.second) == (0, 0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class MoneyScale:
    """The one divisor of a money column and the unit its header states (万元 / 亿元, thousand / million)."""

    divisor: float
    unit_key: str

    def unit(self, lang: str = "zh") -> str:
        return i18n.t(self.unit_key, lang)

    def format(self, value: object, lang: str = "zh") -> str:
        if missing(value):
            return BLANK
        return format_decimal(float(value) / self.divisor, locale=_LOCALE[lang], format="#,##0.00")  # type: ignore[arg-type]


def money_scale(values: Iterable[object], lang: str = "zh") -> MoneyScale:
    """The scale that suits the largest value of a column: 亿 from one 亿 up, else 万 (English: million from
    ten million, else thousand); every value of the column is then written in that one unit."""
    top = max((abs(float(v)) for v in values if not missing(v)), default=0.0)  # type: ignore[arg-type]
    if lang == "zh":
        return MoneyScale(1e8, "display.unit.yi") if top >= 1e8 else MoneyScale(1e4, "display.unit.wan")
    return MoneyScale(1e6, "display.unit.million") if top >= 1e7 else MoneyScale(1e3, "display.unit.thousand")


def _sum(value: object, lang: str = "zh") -> str:
    return BLANK if missing(value) else i18n.money(float(value), lang)  # type: ignore[arg-type]


FORMATTERS = {"score": score, "count": count, "rate": rate, "date": day, "money": _sum}


def figure(value: object, unit: str, lang: str = "zh") -> str:
    """A value by its unit name (score, count, rate, date, money; pct and ratio are rates)."""
    unit = "rate" if unit in ("pct", "ratio") else unit
    if unit not in FORMATTERS:
        return BLANK if missing(value) else str(value)
    return FORMATTERS[unit](value, lang)
