"""Figures for the SICAS page: the funnel, this period against the previous one, a breakdown heatmap and
the weekly step trend with its worst week marked. Inputs are the frames of queries/sicas_*.sql."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from cockpit.core.i18n import date_ticks
from cockpit.domain.sicas import weekly_step

ACCENT, MUTED, ALERT = "#1f5fa8", "#9bb3cf", "#c0392b"


def funnel(cur: pd.DataFrame, stage_names: dict[str, str], words: tuple[str, str]) -> go.Figure:
    """Customers per stage, with % of the first stage and % of the previous stage (labelled by `words`)."""
    fig = go.Figure(
        go.Funnel(
            y=[stage_names[s] for s in cur["stage"]],
            x=cur["customers"],
            marker={"color": ACCENT},
            customdata=cur[["pct_first", "pct_prev"]].fillna(1.0),
            texttemplate=f"%{{value}}<br>{words[0]} %{{customdata[0]:.1%}}<br>{words[1]} "
            f"%{{customdata[1]:.1%}}",
        )
    )
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10}, height=320)
    return fig


def compare(
    cur: pd.DataFrame, prev: pd.DataFrame, stage_names: dict[str, str], labels: tuple[str, str]
) -> go.Figure:
    """Customers per stage in this period and the previous comparable one, side by side."""
    fig = go.Figure()
    for frame, name, colour in ((prev, labels[1], MUTED), (cur, labels[0], ACCENT)):
        fig.add_bar(
            x=[stage_names[s] for s in frame["stage"]], y=frame["customers"], name=name, marker_color=colour
        )
    fig.update_layout(
        barmode="group", margin={"l": 10, "r": 10, "t": 10, "b": 10}, height=320, legend={"orientation": "h"}
    )
    return fig


def breakdown(df: pd.DataFrame, stage_names: dict[str, str], slice_names: dict[str, str]) -> go.Figure:
    """Slices × stages: % of the slice's first stage, with the customer count in each cell."""
    pct = df.pivot(index="slice", columns="stage_no", values="pct_first").sort_index(axis=1)
    n = df.pivot(index="slice", columns="stage_no", values="customers").sort_index(axis=1)
    codes = df.drop_duplicates("stage_no").sort_values("stage_no")["stage"]
    order = n.iloc[:, 0].sort_values().index  # the largest slice on top
    fig = go.Figure(
        go.Heatmap(
            z=pct.loc[order].to_numpy(),
            x=[stage_names[c] for c in codes],
            y=[slice_names.get(s, s) for s in order],
            text=n.loc[order].to_numpy(),
            texttemplate="%{text}<br>%{z:.0%}",
            colorscale="Blues",
            showscale=False,
            hovertemplate="%{y} · %{x}: %{z:.1%}<extra></extra>",
        )
    )
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10}, height=max(260, 34 * len(order) + 80))
    return fig


def weekly_trend(
    weekly: pd.DataFrame, worst: dt.date | None, rate_label: str, base_label: str, lang: str = "en"
) -> go.Figure:
    """The weekly step rate (Connect → Action) as a line over the week's Connect customers (grey bars, right
    axis, so a small base reads as one), the worst week marked in red."""
    rows = weekly_step(weekly)
    x = pd.to_datetime(rows["week_start"])
    # The rate lives on the overlaying axis (drawn on top, at the left); the base on the primary axis at the
    # right.
    fig = go.Figure(
        go.Bar(
            x=x,
            y=rows["prev_customers"],
            name=base_label,
            marker_color="#e3e8ef",
            hovertemplate="%{x|%Y-%m-%d}: %{y}<extra></extra>",
        )
    )
    fig.add_scatter(
        x=x,
        y=rows["step_rate"],
        mode="lines+markers",
        name=rate_label,
        yaxis="y2",
        line={"color": ACCENT},
        customdata=rows[["customers", "prev_customers"]],
        hovertemplate="%{x|%Y-%m-%d}: %{y:.0%} (%{customdata[0]}/%{customdata[1]})<extra></extra>",
    )
    if worst is not None:
        hit = rows[x.dt.date == worst]
        fig.add_scatter(
            x=pd.to_datetime(hit["week_start"]),
            y=hit["step_rate"],
            mode="markers",
            showlegend=False,
            yaxis="y2",
            marker={"color": ALERT, "size": 16, "symbol": "circle-open", "line": {"width": 3}},
        )
    fig.update_layout(
        yaxis2={"tickformat": ".0%", "rangemode": "tozero", "overlaying": "y", "side": "left"},
        yaxis={"side": "right", "showgrid": False, "rangemode": "tozero"},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        height=300,
        legend={"orientation": "h"},
    )
    fig.update_xaxes(**date_ticks(lang, "week"))
    return fig


def titled(fig: go.Figure, title: str, x: str = "", y: str = "", y2: str = "") -> go.Figure:
    """The figure with a title and axis titles in the reader's language (y2: the overlaying axis, if any)."""
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}}, margin={"l": 10, "r": 10, "t": 40, "b": 10}
    )
    fig.update_xaxes(title_text=x)
    fig.update_yaxes(title_text=y)
    if y2:
        fig.update_layout(yaxis2={"title": {"text": y2}})
    return fig
