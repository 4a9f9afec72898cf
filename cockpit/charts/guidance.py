"""Evidence charts of insights: one builder per insight type, from the insight's detail frame."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from cockpit.core import i18n
from cockpit.guidance import Insight

# Money bars are drawn in 亿元 (or 万元 when every bar is under one 亿) for Chinese readers (Plotly's own tick
# units are SI: M, G).
_YI, _WAN = 1e8, 1e4


def _bar(
    df: pd.DataFrame, x: str, y: str, highlight: str | None = None, key: str = "org_id", lang: str = "zh"
) -> go.Figure:
    """Bars by id, labelled by the detail's `name_zh` / `name_en` when it has them (two nodes may share a
    name,
    so the ids stay the categories and the names are their tick labels)."""
    colours = ["#c62828" if highlight is not None and v == highlight else "#1f3a5f" for v in df[key]]
    ids = [str(v) for v in df[x]]
    fig = go.Figure(go.Bar(x=ids, y=df[y], marker_color=colours))
    names = f"name_{lang}"
    fig.update_xaxes(
        type="category",
        tickmode="array",
        tickvals=ids,
        ticktext=list(df[names].astype(str)) if names in df else ids,
    )
    return fig


def _money(fig: go.Figure, lang: str, what: str = "") -> None:
    """Money on the y axis in the reader's units; `what` picks the axis title
    (guidance.axis.<what>yi|wan|yuan).
    """
    if lang == "zh":
        small = all(abs(v) < _YI for trace in fig.data for v in trace.y) and what
        unit, key = (_WAN, "wan") if small else (_YI, "yi")
        for trace in fig.data:
            trace.y = [v / unit for v in trace.y]
        fig.update_yaxes(title_text=i18n.t(f"guidance.axis.{what}{key}", lang), tickformat=",.2f")
    else:
        fig.update_yaxes(title_text=i18n.t(f"guidance.axis.{what}yuan", lang), tickformat="~s")


def _one_bar(fig: go.Figure) -> bool:
    """True for a bar chart of a single bar (lines beside it are only its reference)."""
    bars = [t for t in fig.data if t.type == "bar"]
    return bool(bars) and sum(len(t.x) for t in bars) <= 1


def evidence(ins: Insight, lang: str = "zh") -> go.Figure | None:
    """The chart behind an insight, or None when it has no detail to draw; legends and units in the reader's
    language.
    """
    name = {
        k: i18n.t(f"guidance.legend.{k}", lang)
        for k in ("rate", "own", "peers", "missed", "baseline", "time_progress")
    }
    d = ins.detail
    if d is None or d.empty:
        return None
    if ins.type == "unusual_change":
        fig = go.Figure(
            [
                go.Scatter(x=d.week_start, y=d.rate, name=name["rate"], mode="lines+markers"),
                go.Scatter(x=d.week_start, y=d.own_rate, name=name["own"], line={"dash": "dash"}),
            ]
        )
        if ins.figures["value"][1] == "pct":  # a rate; counts keep plain numbers
            fig.update_yaxes(tickformat=".0%")
        fig.update_xaxes(**i18n.date_ticks(lang, "week"))
    elif ins.type == "referrals_overdue":
        fig = go.Figure(
            [
                go.Bar(x=d.month_start, y=d.miss_share, name=name["missed"]),
                go.Scatter(x=d.month_start, y=d.baseline, name=name["baseline"], line={"dash": "dash"}),
            ]
        )
        fig.update_yaxes(tickformat=".0%")
        fig.update_xaxes(**i18n.date_ticks(lang, "month"))
    elif ins.type == "funnel_leak":
        fig = _bar(d, "slice", "pct_prev", ins.org_id, key="slice", lang=lang)
        fig.add_hline(y=float(d.peer_rate.iloc[0]), line_dash="dash")
        fig.update_yaxes(tickformat=".0%")
    elif ins.type in ("campaign_outperformance", "campaign_underperformance"):
        fig = _bar(d, "campaign_id", "conversion", ins.labels["campaign_id"][0], key="campaign_id", lang=lang)
        fig.update_yaxes(tickformat=".0%")
    elif ins.type == "target_risk":
        fig = _bar(d, "org_id", "pace", ins.org_id, lang=lang)
        progress = float(ins.figures["time_progress"][0] or 0)  # the pace every bar is judged against
        fig.add_hline(y=progress, line_dash="dash", annotation_text=name["time_progress"])
        fig.update_yaxes(
            tickformat=".0%",
            range=[min(0.0, float(d.pace.min())) - 0.05, max(progress, float(d.pace.max())) + 0.1],
        )
    elif ins.type in ("top_contributors", "concentration"):
        fig = _bar(d, "member", "delta" if ins.type == "top_contributors" else "cur", key="member", lang=lang)
        if ins.figures["total" if ins.type == "concentration" else "cur"][1] == "money":
            _money(fig, lang, "amount_")
    elif ins.type == "dormant_high_value":
        fig = _bar(d, "org_id", "dormant_aum", lang=lang)
        _money(fig, lang)
    elif ins.type in ("lifecycle_unreached", "untouched_cohort"):
        fig = _bar(d, "org_id", "coverage", lang=lang)
        fig.update_yaxes(tickformat=".0%")
    else:
        return None
    if _one_bar(fig):  # a node beside nobody: the sentence says it all, a chart would compare it with itself
        return None
    fig.update_layout(
        height=280,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        showlegend=ins.type in ("unusual_change", "referrals_overdue"),
    )
    return fig
