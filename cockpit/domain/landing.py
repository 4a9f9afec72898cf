"""The landing page's board: the chosen node's targeted metrics with their status, its children's, the
lagging items and each metric's course this period. Figures come from cockpit.domain.targets (the targets
page's own table), so a tile, a bar and a red item read the same number as the targets page."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cockpit.core.calendar import Progress
from cockpit.domain import targets

LAGGING = ("red", "amber")


@dataclass(frozen=True)
class Board:
    node: pd.DataFrame  # one row per targeted metric of the node (targets.table)
    children: pd.DataFrame  # one row per (child, metric)
    metrics: list[str]

    def status(self, metric: str) -> str | None:
        row = self.node[self.node.metric == metric]
        return None if row.empty else str(row.status.iloc[0])

    def lagging(self) -> pd.DataFrame:
        """The node's red and amber metrics, furthest behind first."""
        rows = self.node[self.node.status.isin(LAGGING)]
        return rows.assign(_red=rows.status != "red").sort_values(["_red", "pace"]).drop(columns="_red")

    def ranked(self, metric: str) -> pd.DataFrame:
        """The children on one metric, best pace first."""
        rows = self.children[self.children.metric == metric]
        return rows.sort_values("pace", ascending=False, na_position="last").reset_index(drop=True)


def board(
    frames: dict[str, pd.DataFrame], target_values: pd.DataFrame, org_id: str, progress: Progress
) -> Board:
    """The board of `org_id` from the targets page's inputs (metric_values per window, target_values)."""
    ids = targets.targeted_metrics(target_values)
    current = frames["current"]
    kids = (
        list(current[current.parent_id == org_id].drop_duplicates("org_id").org_id)
        if not current.empty
        else []
    )
    cells = targets.Cells.of(frames, target_values)
    node = targets.table(frames, target_values, [org_id], ids, progress, cells) if ids else pd.DataFrame()
    children = (
        targets.table(frames, target_values, kids, ids, progress, cells) if ids and kids else pd.DataFrame()
    )
    empty = pd.DataFrame(columns=["org_id", "metric", "status", "pace"])
    return Board(node if not node.empty else empty, children if not children.empty else empty, ids)


def sparklines(series: pd.DataFrame, org_id: str, metric_ids: tuple[str, ...]) -> dict[str, list[float]]:
    """Each metric's value to date on each day of the period (queries/metric_values.sql, grain=day)."""
    rows = series[series.org_id == org_id].sort_values("day")
    return {m: [float(v) for v in rows[rows.metric == m].value.fillna(0)] for m in metric_ids}
