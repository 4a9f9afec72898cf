"""Figures for the channel-coordination page: omnichannel mix, service spread, the referral Sankey and route
heatmap, linkage coverage, attribution side by side and touchpoint open rates. Inputs are query frames."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from cockpit.charts.sicas import titled  # noqa: F401  (one way to title a figure and its axes)

ACCENT, MUTED, ALERT = "#1f5fa8", "#9bb3cf", "#c0392b"
MODEL_COLOURS = ("#1f5fa8", "#5b8fd0", "#9bb3cf", "#e3a33b")
_MARGIN = {"l": 10, "r": 10, "t": 30, "b": 10}
# Legends sit at the top right, clear of the title at the top left and of the axis titles below.
_LEGEND = {"orientation": "h", "x": 1, "xanchor": "right", "y": 1.0, "yanchor": "bottom"}


def _name(names: dict[str, str], key: object) -> str:
    return names.get(str(key), str(key))


def bars(
    df: pd.DataFrame, x: str, y: str, names: dict[str, str], percent: bool = False, title: str = ""
) -> go.Figure:
    """A plain bar chart of one measure by a label column."""
    fig = go.Figure(go.Bar(x=[_name(names, v) for v in df[x]], y=df[y], marker_color=ACCENT))
    fig.update_layout(
        title=title,
        margin=_MARGIN,
        height=280,
        xaxis={"type": "category"},
        yaxis={"tickformat": ".0%"} if percent else {},
    )
    return fig


def referral_sankey(matrix: pd.DataFrame, names: dict[str, str]) -> go.Figure:
    """Referrals created from one channel (left) to another (right); link colour darkens as on-time follow-up
    falls.
    """
    left = list(dict.fromkeys(matrix["from_id"]))
    right = list(dict.fromkeys(matrix["to_id"]))
    labels = [_name(names, v) for v in left] + [_name(names, v) for v in right]
    colours = [
        f"rgba(192,57,43,{0.25 + 0.6 * (1 - r):.2f})" if r == r else "rgba(150,150,150,0.4)"
        for r in matrix["on_time_rate"]
    ]
    fig = go.Figure(
        go.Sankey(
            node={"label": labels, "pad": 14, "color": ACCENT},
            link={
                "source": [left.index(v) for v in matrix["from_id"]],
                "target": [len(left) + right.index(v) for v in matrix["to_id"]],
                "value": matrix["created"],
                "color": colours,
                "customdata": matrix["on_time_rate"],
                "hovertemplate": "%{source.label} → %{target.label}: %{value} · "
                "%{customdata:.0%}<extra></extra>",
            },
        )
    )
    fig.update_layout(margin=_MARGIN, height=360)
    return fig


def route_heatmap(monthly: pd.DataFrame, names: dict[str, str]) -> go.Figure:
    """Routes × months: share of referrals followed up within the SLA (red = late)."""
    df = monthly.assign(
        route=[
            f"{_name(names, a)} → {_name(names, b)}"
            for a, b in zip(monthly.from_channel_id, monthly.to_channel_id)
        ],
        month=pd.to_datetime(monthly["month"]).dt.strftime("%Y-%m"),
    )
    z = df.pivot(index="route", columns="month", values="on_time_rate").sort_index(axis=1)
    n = df.pivot(index="route", columns="month", values="created").reindex_like(z)
    fig = go.Figure(
        go.Heatmap(
            z=z.to_numpy(),
            x=list(z.columns),
            y=list(z.index),
            text=n.to_numpy(),
            colorscale="RdYlGn",
            zmin=0,
            zmax=1,
            texttemplate="%{z:.0%}",
            hovertemplate="%{y} · %{x}: %{z:.0%} (%{text})<extra></extra>",
            colorbar={"tickformat": ".0%"},
        )
    )
    # Months are labels ("2026-09"), not dates: a date axis would name them in English (Sep 2026).
    fig.update_layout(margin=_MARGIN, height=max(260, 30 * len(z) + 90), xaxis={"type": "category"})
    return fig


def service_spread(service: pd.DataFrame, measure: str, names: dict[str, str], title: str) -> go.Figure:
    """One service measure per channel, with the mean across channels as a dashed line."""
    fig = bars(service, "channel_id", measure, names, percent=measure.endswith("_rate"), title=title)
    fig.add_hline(y=service[measure].mean(), line_dash="dash", line_color=MUTED)
    return fig


def attribution(
    df: pd.DataFrame, models: tuple[str, ...], model_names: dict[str, str], names: dict[str, str]
) -> go.Figure:
    """Actions credited to each channel under each model, side by side."""
    fig = go.Figure()
    for model, colour in zip(models, MODEL_COLOURS):
        fig.add_bar(
            x=[_name(names, c) for c in df["channel_id"]],
            y=df[model],
            name=model_names[model],
            marker_color=colour,
        )
    fig.update_layout(barmode="group", margin=_MARGIN, height=380, legend=_LEGEND)
    return fig


def linkage(df: pd.DataFrame, names: dict[str, str], labels: tuple[str, str]) -> go.Figure:
    """Per new lifecycle state: share reached by the suitable channel and by any channel within N days."""
    x = [_name(names, s) for s in df["to_state"]]
    fig = go.Figure()
    fig.add_bar(x=x, y=df["reached_any"], name=labels[1], marker_color=MUTED)
    fig.add_bar(x=x, y=df["reached_suitable"], name=labels[0], marker_color=ACCENT)
    fig.update_layout(
        barmode="group",
        margin=_MARGIN,
        height=300,
        yaxis={"tickformat": ".0%", "range": [0, 1]},
        legend=_LEGEND,
    )
    return fig
