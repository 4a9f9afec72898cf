"""Figures for the scorecard page: a ranking by score, and the points each indicator earned and lost."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

OWN, OTHER, LOST = "#1565c0", "#90a4ae", "#ef9a9a"


def ranking_bars(rows: pd.DataFrame, name_col: str, highlight: str | None, title: str) -> go.Figure:
    """Scores out of 100, best at the top; the highlighted node in the bank's blue."""
    rows = rows.sort_values("score", ascending=True)
    colours = [OWN if o == highlight else OTHER for o in rows["org_id"]]
    fig = go.Figure(
        go.Bar(
            x=rows["score"],
            y=rows[name_col],
            orientation="h",
            marker_color=colours,
            text=[f"#{int(r)}" for r in rows["rank"]],
            textposition="outside",
        )
    )
    fig.update_layout(
        title=title,
        xaxis_range=[0, 105],
        height=120 + 32 * len(rows),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return fig


def points_lost(detail: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Per indicator: points earned and points lost (stacked to the indicator's maximum).

    `detail` has a `label` column (translated indicator names); `labels`: earned, lost, title.
    """
    detail = detail.sort_values("points_lost", ascending=True)
    fig = go.Figure()
    fig.add_bar(
        x=detail["points"], y=detail["label"], orientation="h", name=labels["earned"], marker_color=OWN
    )
    fig.add_bar(
        x=detail["points_lost"], y=detail["label"], orientation="h", name=labels["lost"], marker_color=LOST
    )
    fig.update_layout(
        barmode="stack",
        title=labels["title"],
        height=120 + 28 * len(detail),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h"},
    )
    return fig
