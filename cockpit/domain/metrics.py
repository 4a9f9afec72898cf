"""The metric dictionary, defined once in metrics.yaml: names, query, unit, direction, aggregation,
definition.

Pages, targets, scorecards, guidance and reports read metrics from here (`get(id)`, `all()`), so a
metric's name, unit, direction and definition (口径, shown as a tooltip) are never restated.
Figures come from the metric's named query (`metric_values` returns every metric in long form).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from cockpit.core import i18n

UNITS = ("money", "count", "pct", "score", "seconds")
DIRECTIONS = ("higher", "lower")
AGGREGATIONS = ("period_end", "sum", "distinct", "ratio")
DICTIONARY = Path(__file__).with_name("metrics.yaml")


class MetricError(KeyError):
    """An unknown metric id, or a dictionary entry that breaks the rules above."""


@dataclass(frozen=True)
class Metric:
    id: str
    names: dict[str, str]
    query: str
    unit: str
    direction: str
    aggregation: str
    definitions: dict[str, str]

    def name(self, lang: str = "zh") -> str:
        return self.names.get(lang) or self.names["zh"]

    def definition(self, lang: str = "zh") -> str:
        """The definition (口径) in words: the tooltip wherever the metric appears."""
        return self.definitions.get(lang) or self.definitions["zh"]

    def fmt(self, value: float | None, lang: str = "zh") -> str:
        return i18n.fmt(value, self.unit, lang)

    def fmt_pace(self, value: float | None, lang: str = "zh") -> str:
        """What the metric needs per working day (a count's pace keeps a decimal: see i18n.pace)."""
        return i18n.pace(value, self.unit, lang)

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher"

    @property
    def is_stock(self) -> bool:
        """A balance read on a day (period_end), as opposed to a flow accumulated over the period."""
        return self.aggregation == "period_end"


def _check(mid: str, spec: dict) -> Metric:
    m = Metric(
        mid,
        spec["name"],
        spec["query"],
        spec["unit"],
        spec["direction"],
        spec["aggregation"],
        spec["definition"],
    )
    for field, allowed in (("unit", UNITS), ("direction", DIRECTIONS), ("aggregation", AGGREGATIONS)):
        if getattr(m, field) not in allowed:
            raise MetricError(f"metric {mid}: {field} must be one of {', '.join(allowed)}")
    for part in (m.names, m.definitions):
        if set(part) != set(i18n.LANGS) or not builtins.all(str(v).strip() for v in part.values()):
            raise MetricError(f"metric {mid}: name and definition need both {', '.join(i18n.LANGS)}")
    return m


@lru_cache(maxsize=1)
def _dictionary() -> dict[str, Metric]:
    raw = yaml.safe_load(DICTIONARY.read_text(encoding="utf-8"))
    return {mid: _check(mid, spec) for mid, spec in raw.items()}


def all() -> list[Metric]:  # noqa: A001 - the public name the other modules use
    """Every metric, in dictionary order."""
    return list(_dictionary().values())


def get(metric_id: str) -> Metric:
    try:
        return _dictionary()[metric_id]
    except KeyError:
        raise MetricError(f"unknown metric '{metric_id}' (known: {', '.join(_dictionary())})") from None


def ids() -> list[str]:
    return list(_dictionary())


def wide(values: pd.DataFrame) -> pd.DataFrame:
    """`metric_values` rows (long) as one row per org node and one column per metric."""
    if values.empty:
        return pd.DataFrame(columns=["org_id", "name_zh", "name_en", "level", *ids()])
    out = values.pivot_table(
        index=["org_id", "name_zh", "name_en", "level"],
        columns="metric",
        values="value",
        aggfunc="first",
        dropna=False,
    ).reset_index()
    out.columns.name = None
    return out
