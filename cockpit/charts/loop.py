"""Figures for the loop from actions to outcome: customers after done actions beside their comparable
baseline.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go


def outcome_bars(
    table: pd.DataFrame, by: str, measure: str, control: str, names: dict[str, str]
) -> go.Figure:
    """Grouped bars per group: the measure for customers of done actions and
    for their comparable customers.
    """
    fig = go.Figure(
        [
            go.Bar(name=names["acted"], x=table[by].astype(str), y=table[measure]),
            go.Bar(name=names["baseline"], x=table[by].astype(str), y=table[control]),
        ]
    )
    fig.update_layout(
        barmode="group", height=320, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h"}
    )
    return fig
