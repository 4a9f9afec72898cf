"""Figures for the operating-targets page: the period's trend against target and pace, and the children's
bars.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from cockpit.core import i18n
from cockpit.core.i18n import date_ticks
from cockpit.domain import status as rules
from cockpit.domain.targets import Forecast


def trend(
    series: pd.DataFrame,
    pace: pd.DataFrame,
    target: float | None,
    labels: dict[str, str],
    fc: Forecast | None = None,
    period_end: dt.date | None = None,
    lang: str = "en",
    money: bool = False,
) -> go.Figure:
    """Actual to date (line), the on-pace path (dashed), the target (flat line) and the forecast with its
    range.

    `labels`: actual, pace, target, forecast, title (already translated). Money reads in 万元 / 亿元 for
    Chinese
    readers (Plotly's own tick units are SI: 60M).
    """
    unit, key = 1.0, ""
    if money and lang == "zh":
        top = max([abs(float(v)) for v in series["value"].dropna()] + [abs(target or 0.0)])
        unit, key = (1e8, "amount_yi") if top >= 1e8 else (1e4, "amount_wan")
        series = series.assign(value=series["value"] / unit)
        pace = pace.assign(value=pace["value"] / unit) if not pace.empty else pace
        target = target / unit if target is not None else None
        fc = Forecast(fc.value / unit, fc.low / unit, fc.high / unit) if fc is not None else None
    fig = go.Figure()
    fig.add_scatter(
        x=series["day"], y=series["value"], mode="lines", name=labels["actual"], line={"width": 3}
    )
    if not pace.empty:
        fig.add_scatter(
            x=pace["day"], y=pace["value"], mode="lines", name=labels["pace"], line={"dash": "dash"}
        )
    if target is not None:
        fig.add_hline(
            y=target, line={"color": rules.COLOURS["red"], "dash": "dot"}, annotation_text=labels["target"]
        )
    if fc is not None and period_end is not None:
        fig.add_scatter(
            x=[period_end],
            y=[fc.value],
            mode="markers",
            name=labels["forecast"],
            marker={"size": 10, "symbol": "diamond"},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [fc.high - fc.value],
                "arrayminus": [fc.value - fc.low],
            },
        )
    fig.update_layout(
        title=labels["title"],
        height=360,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h"},
    )
    fig.update_xaxes(**date_ticks(lang, "day"))
    if key:
        fig.update_yaxes(title_text=i18n.t(f"guidance.axis.{key}", lang), tickformat=",.2f")
    return fig


def children_bars(
    table: pd.DataFrame, name_col: str, time_progress: float, labels: dict[str, str]
) -> go.Figure:
    """Each child's achievement (pace basis) as a bar coloured by status, against the time-progress line."""
    colours = [rules.COLOURS.get(s, "#9e9e9e") for s in table["status"]]
    fig = go.Figure(
        go.Bar(x=table[name_col], y=table["pace"], marker_color=colours, name=labels["achievement"])
    )
    fig.add_hline(y=time_progress, line={"dash": "dash"}, annotation_text=labels["time_progress"])
    fig.update_layout(
        title=labels["title"], height=320, yaxis_tickformat=".0%", margin={"l": 10, "r": 10, "t": 40, "b": 10}
    )
    return fig
