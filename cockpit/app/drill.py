"""Drill-down and breadcrumb buttons shared by the targets and scorecard pages.

They move the sidebar's org picker (session key `f_org`) from a button callback, which runs before
the next script run, so the picker and every query follow. Only nodes the picker offers (the user's
own subtree) get a button: drilling never leaves the user's scope.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cockpit.app import ui


def _go(org_id: str) -> None:
    st.session_state["f_org"] = org_id


def breadcrumb(org_id: str, key: str) -> None:
    """Buttons for the path from the user's highest visible node down to org_id."""
    names = ui.names()
    up, name = names.parents, names.short
    path: list[str] = []
    node: str | None = org_id
    while node is not None and node in up:
        path.insert(0, node)
        node = up[node]
    cols = st.columns(max(len(path), 1) + 1)
    cols[0].caption(ui.tr("targets.breadcrumb"))
    for col, node in zip(cols[1:], path):
        col.button(
            name.get(node, node),
            key=f"{key}_crumb_{node}",
            on_click=_go,
            args=(node,),
            disabled=node == org_id,
        )


def children_buttons(children: pd.DataFrame, key: str) -> None:
    """A 'drill into' button per child the picker offers."""
    offered = ui.offered()
    rows = children[[o in offered for o in children.org_id]]
    if rows.empty:
        return
    name = "name_zh" if ui.lang() == "zh" else "name_en"
    cols = st.columns(min(len(rows), 6) + 1)
    cols[0].caption(ui.tr("targets.drill"))
    for i, row in enumerate(rows.itertuples()):
        cols[1 + i % 6].button(
            getattr(row, name), key=f"{key}_drill_{row.org_id}", on_click=_go, args=(row.org_id,)
        )


def chart_click(key: str, org_ids: list[str]):
    """An on_select callback for st.plotly_chart(key=key): a click on the i-th bar opens org_ids[i] (only
    a node the picker offers; anything else is ignored)."""

    def go() -> None:
        event = st.session_state.get(key)
        points = (event or {}).get("selection", {}).get("points", []) if event else []
        if not points:
            return
        i = points[0].get("point_index", points[0].get("point_number"))
        if i is not None and 0 <= int(i) < len(org_ids) and org_ids[int(i)] in ui.offered():
            _go(org_ids[int(i)])

    return go
