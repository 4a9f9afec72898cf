"""A frame as a reader sees it: each column named in their language with its unit in the header, each id
and code by its name, each figure by its unit's one formatter. Pages, the PDF and deliveries lay out what
`present` returns; downloads that need the internal keys keep them in hidden columns (reports.excel)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from cockpit.core import i18n
from cockpit.display import labels, units
from cockpit.display.names import Names

UNIT_KINDS = ("money", "count", "rate", "score", "date")
NAME_KINDS = ("org", "org_path", "channel", "user")


def titled(name: str, unit: str | None, lang: str = "zh") -> str:
    """A header with its unit: 资产余额（万元）, AUM (CNY thousand); no unit, the name alone."""
    if not unit:
        return name
    return f"{name}（{unit}）" if lang == "zh" else f"{name} ({unit})"


@dataclass(frozen=True)
class Col:
    """A column to show: `key` in the frame, `kind` how its values read (a unit of UNIT_KINDS, a name of
    NAME_KINDS, a code of labels.KINDS, or text), `header` the catalogue key of its title."""

    key: str
    kind: str = "text"
    header: str | None = None

    def title(self, lang: str = "zh", unit: str | None = None) -> str:
        name = i18n.t(self.header or f"display.col.{self.key}", lang)
        if unit is None and self.kind == "score":
            unit = i18n.t("display.unit.score", lang)
        return titled(name, unit, lang)


def cells(col: Col, values: pd.Series, lang: str, names: Names | None) -> tuple[list[str], str | None]:
    """The column's values as text and the unit its header states (money: the one scale of the column)."""
    kind = col.kind
    if kind == "money":
        scale = units.money_scale(values, lang)
        return [scale.format(v, lang) for v in values], scale.unit(lang)
    if kind in UNIT_KINDS:
        return [units.figure(v, kind, lang) for v in values], None
    if kind in NAME_KINDS:
        if names is None:
            raise ValueError(f"column {col.key!r} names {kind}s: pass the reader's Names")
        if kind == "channel":
            return [names.channel(v) for v in values], None
        if kind == "user":
            return [names.user(v) for v in values], None
        return [names.org(v, full=kind == "org_path") for v in values], None
    if kind in labels.KINDS:
        return [labels.label(kind, v, lang) for v in values], None
    return [units.BLANK if units.missing(v) else str(v) for v in values], None


def present(
    df: pd.DataFrame, cols: Sequence[Col], lang: str = "zh", names: Names | None = None
) -> pd.DataFrame:
    """The columns `cols` of `df`, in that order, as text with translated headers and units."""
    out = {}
    for col in cols:
        text, unit = cells(col, df[col.key] if col.key in df else pd.Series([None] * len(df)), lang, names)
        out[col.title(lang, unit)] = text
    return pd.DataFrame(out, index=df.index)
