"""Every visible string in zh-CN and English from one catalogue, and number formats.

The catalogue is the union of cockpit/core/i18n_catalogue/*.yaml (one file per page family, so
that each can be edited on its own); a key defined twice is an error.

Chinese readers get money in 万 / 亿 (Babel's CLDR compact forms); English readers get
thousands separators and K / M / B. tests/test_i18n.py fails on a key missing in either language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from babel.numbers import format_compact_decimal, format_decimal, format_percent

if TYPE_CHECKING:
    import pandas as pd

LANGS = ("zh", "en")
_LOCALE = {"zh": "zh_CN", "en": "en_US"}
CATALOGUE_DIR = Path(__file__).with_name("i18n_catalogue")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for path in sorted(CATALOGUE_DIR.glob("*.yaml")):
        for key, entry in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if key in out:
                raise ValueError(f"i18n key {key!r} is defined twice ({path.name})")
            out[key] = entry
    return out


def t(key: str, lang: str = "zh", **values: object) -> str:
    """The string for key in lang, with {placeholders} filled. A missing key shows as [key]."""
    entry = catalogue().get(key)
    if entry is None or lang not in entry:
        return f"[{key}]"
    return entry[lang].format(**values) if values else entry[lang]


def money(value: float | None, lang: str = "zh") -> str:
    """Money: 1234.57万 / 1.23亿 in Chinese, 12.3M in English; ¥ prefix omitted. A sum under 万 carries 元
    in Chinese, so a sentence never sets a bare 5,799.11 beside 1.58万."""
    if value is None or value != value:
        return "—"
    if abs(value) < 10_000:
        plain = format_decimal(round(value, 2), locale=_LOCALE[lang])
        return f"{plain}元" if lang == "zh" else plain
    return format_compact_decimal(value, locale=_LOCALE[lang], fraction_digits=2)


def count(value: float | None, lang: str = "zh") -> str:
    """A whole number with thousands separators: customers, actions and referrals are never fractional (a
    count's target is whole too; a rate per day of a count is a pace, see `pace`)."""
    if value is None or value != value:
        return "—"
    return format_decimal(round(value), locale=_LOCALE[lang])


def pace(value: float | None, unit: str, lang: str = "zh") -> str:
    """What a metric needs per working day: money and other units as `fmt`; a count per day keeps one
    decimal, and a positive pace that would round to 0.0 reads <0.1, so work still needed never reads as 0."""
    if unit != "count" or value is None or value != value:
        return fmt(value, unit, lang)
    if 0 < value < 0.05:
        return "<" + format_decimal(0.1, locale=_LOCALE[lang], format="0.0")
    return format_decimal(round(value, 1), locale=_LOCALE[lang], format="#,##0.0")


def pct(value: float | None, lang: str = "zh", digits: int = 1) -> str:
    """A ratio (0.123) as a percentage (12.3%)."""
    if value is None or value != value:
        return "—"
    return format_percent(value, locale=_LOCALE[lang], format=f"#,##0.{'0' * digits}%")


def date(value: dt.date, lang: str = "zh") -> str:
    return f"{value.year}年{value.month}月{value.day}日" if lang == "zh" else value.strftime("%d %b %Y")


def fmt(value: float | None, unit: str, lang: str = "zh") -> str:
    """Format by unit: money, count, pct, ratio, hours, days, score (one decimal), decimal2 (two decimals)."""
    if unit == "money":
        return money(value, lang)
    if unit in ("pct", "ratio"):
        return pct(value, lang)
    if value is None or value != value:
        return "—"
    if unit == "count":
        return count(value, lang)
    if unit == "decimal2":
        return format_decimal(value, locale=_LOCALE[lang], format="#,##0.00")
    if unit == "score":  # always one decimal: 52.0 beside 51.9, never 52
        return format_decimal(round(value, 1), locale=_LOCALE[lang], format="#,##0.0")
    return format_decimal(round(value, 1), locale=_LOCALE[lang])


def table(df: pd.DataFrame, units: dict[str, str], lang: str = "zh") -> pd.DataFrame:
    """A frame for display: each column named in `units` formatted by its unit (see fmt), blanks as —."""
    return df.assign(**{c: formatted(df[c], u, lang) for c, u in units.items() if c in df})


def named(df: pd.DataFrame, names: dict[str, str], cols: tuple[str, ...]) -> pd.DataFrame:
    """The frame with the ids in `cols` shown by their name in `names` (an id without one as it is)."""
    return df.assign(**{c: each_distinct(df[c], lambda v: names.get(v, v)) for c in cols})


def formatted(values: pd.Series, unit: str, lang: str = "zh") -> list[str]:
    """`fmt` of every value of a column (see each_distinct)."""
    return each_distinct(values, lambda v: fmt(v, unit, lang))


def each_distinct(values: pd.Series, text: Callable[[Any], str]) -> list[str]:
    """`text` of every value of a column, called once per distinct value (and once for all missing ones): a
    long table repeats its counts, ids and codes, and formatting them is most of what a warm page spends."""
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = [text(v) for v in uniques] + [text(None)]
    return [texts[i] for i in codes]  # a missing value's code is -1: the last text


def date_ticks(lang: str = "zh", grain: str = "day") -> dict[str, str]:
    """Plotly date-axis settings for the reader: Chinese readers get numeric dates (2026-11-02, 2026-11)
    instead
    of Plotly's English month names; English readers keep Plotly's own ticks. Use as
    fig.update_xaxes(**date_ticks(...))."""
    if lang != "zh":
        return {}
    fmt = "%Y-%m" if grain == "month" else "%Y-%m-%d"
    return {"tickformat": fmt, "hoverformat": fmt}
