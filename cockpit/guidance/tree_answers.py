"""The answers the stored guidance (cockpit/guidance/stored.py) computes once for the whole tree and hands
to every stored node's contexts with `Context.seed`: for each node, exactly the rows the named query returns
when that node asks with its own scope. Each is read by one set-based query, or by the node-by-node query
with `parent` 'all', and split by node; tests/test_stored_guidance.py checks the parts against each node's own
query and the stored insights against the engine's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from cockpit.core.periods import Period
from cockpit.domain import targets
from cockpit.guidance import Context, changes, contributors, dormant, lifecycle
from cockpit.warehouse import queries
from cockpit.warehouse.layer import Scope, Warehouse

SHARED = ("channels", "guidance_products", "guidance_campaigns")  # unscoped reference lists, read once


def _metric_windows(period: Period) -> list[tuple[dt.date, dt.date]]:
    """The windows the target rule reads `metric_values` over (cockpit/guidance/targets.py): the period to
    date, its comparable windows, and the whole previous period."""
    prev = period.shifted(-1)
    return sorted({*targets.windows(period).values(), (prev.start, prev.end)})


def _by_org(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """A frame of many nodes' rows split by node, in its own order (what the query returns for one node)."""
    return {str(o): part.reset_index(drop=True) for o, part in frame.groupby("org_id", sort=False)}


Seeds = list[tuple[str, dict[str, Any], pd.DataFrame]]


def seeds(
    wh: Warehouse,
    root: Scope,
    periods: list[Period],
    subtree: dict[str, set[str]],
    family: dict[str, set[str]],
    level: int,
) -> dict[str, Seeds]:
    """Per stored node (`subtree`: its subtree's nodes; `family`: itself and its children; `level`: the
    deepest stored level), the answers computed once for the whole tree that its contexts are given: each is
    (query, parameters, the rows the query returns for that node with its own scope).

    - the unscoped reference lists and the working-day calendar, the same for everyone;
    - `org_tree` and the weekly change scores (computed over the whole tree), the node's subtree's rows;
    - `target_values` and window `metric_values` (computed node by node), the node's and its children's rows;
    - the splits of a flow metric's change (`guidance_breakdown`), every node's read in one pass;
    - the dormant high-value customers and the unreached lifecycle changes of each node's children (a
      child's row is the same whoever asks), and the frontline list of the whole tree, split by subtree;
    - the daily `metric_values` series of the node and each of its children, read for every node from the
      sub-branches' teams up at once, one top region at a time (its rows are the node's alone)."""
    seeds: dict[str, Seeds] = {o: [] for o in subtree}

    def everyone(name: str, frame: pd.DataFrame, **params: Any) -> None:
        for o in subtree:
            seeds[o].append((name, params, frame))

    def own(name: str, frame: pd.DataFrame, rows: dict[str, set[str]], node: str = "", **params: Any) -> None:
        """Each node gets the rows of its `rows` nodes; `node` names the parameter holding the node."""
        for o in subtree:
            mine = frame[frame.org_id.isin(rows[o])].reset_index(drop=True)
            seeds[o].append((name, {**params, node: o} if node else params, mine))

    for name in SHARED:
        everyone(name, wh.run(name, root))
    own("org_tree", wh.run("org_tree", root), subtree)
    top = [str(o) for o in root.org_ids]
    ctx = {p: Context(wh, root, top[0], p) for p in periods}
    for asked in {tuple(changes.query_params(c).items()) for c in ctx.values()}:
        others = {k: v for k, v in asked if k != "org_id"}
        scores = pd.concat([wh.run("guidance_changes", root, {**others, "org_id": o}) for o in top])
        own("guidance_changes", scores, subtree, "org_id", **others)
    for a, b in sorted({w for p in periods for w in _metric_windows(p)}):
        frame = wh.run("metric_values", root, {"start": a, "end": b, "parent": "all"})
        own("metric_values", frame, family, "parent", start=a, end=b)
    for p in sorted({q for c in periods for q in (c, c.shifted(-1))}, key=lambda q: (q.kind, q.start)):
        frame = wh.run(
            "target_values", root, {"period_type": p.kind, "period_start": p.start, "parent": "all"}
        )
        own("target_values", frame, family, "parent", period_type=p.kind, period_start=p.start)
    for c in ctx.values():
        for metric in contributors.METRICS:
            params = {k: v for k, v in contributors.query_params(c, metric).items() if k != "org_id"}
            for o in top:
                tree = wh.run("guidance_breakdown_tree", root, {**params, "org_id": o, "max_level": level})
                for node, part in tree.groupby("node_id", sort=False):
                    if node in seeds:
                        mine = part.drop(columns="node_id").reset_index(drop=True)
                        seeds[str(node)].append(("guidance_breakdown", {**params, "org_id": node}, mine))

    def by_parent(name: str, asked: set[tuple]) -> None:
        """Seed `name` read down to the stored nodes' children: each node gets its children's rows, which
        are the same whoever asks."""
        for key in asked:
            params = {k: v for k, v in key if k != "org_id"}
            tree = pd.concat(
                [wh.run(name, root, {**params, "org_id": o, "max_level": level + 1}) for o in top]
            )
            for o in subtree:
                mine = tree[tree.parent_id == o].reset_index(drop=True)
                seeds[o].append((name, {**params, "org_id": o}, mine))

    by_parent("guidance_dormant", {tuple(dormant.query_params(c).items()) for c in ctx.values()})
    by_parent(
        "guidance_lifecycle_unreached",
        {
            tuple(lifecycle.query_params(c, back).items())
            for c in ctx.values()
            for back in (0, lifecycle.LOOKBACK_DAYS)
        },
    )
    for key in {tuple(dormant.people_params(c).items()) for c in ctx.values()}:
        params = {k: v for k, v in key if k != "org_id"}
        people = pd.concat([wh.run("action_customers", root, {**params, "org_id": o}) for o in top])
        # the whole list, not its first rows, else a node's part of it could miss some of its own
        if len(people) < _default("action_customers", "max_rows"):
            own("action_customers", people, subtree, "org_id", **params)
    for p in periods:
        days = wh.run("calendar_days", root, {"start": p.start, "end": p.end})
        everyone("calendar_days", days, start=p.start, end=p.end)
        daily = _daily(wh, root, p, level)
        for o in subtree:
            for member in family[o]:
                if member in daily:
                    seeds[o].append(
                        (
                            "metric_values",
                            {"start": p.start, "end": p.to_date, "parent": member, "grain": "day"},
                            daily[member],
                        )
                    )
    return seeds


def _default(name: str, param: str) -> int:
    """A whole-number parameter's default in a named query's header."""
    return int(next(p.default for p in queries.get(name).params if p.name == param) or 0)


def _daily(wh: Warehouse, root: Scope, period: Period, level: int) -> dict[str, pd.DataFrame]:
    """The daily `metric_values` series of every node down to the sub-branches' teams, split by node: the top
    nodes alone, then the subtree of each of their children (so that no answer holds the whole tree's)."""
    params = {"start": period.start, "end": period.to_date, "grain": "day"}
    out: dict[str, pd.DataFrame] = {}
    for o in root.org_ids:
        scope = Scope(root.username, "executive", (o,))
        out.update(_by_org(wh.run("metric_values", scope, {**params, "parent": o})))
        regions = wh.sql("select org_id from orgs where parent_id = :o order by org_id", {"o": o}).org_id
        for r in regions:
            region = Scope(root.username, "branch_head", (str(r),))
            out.update(
                _by_org(wh.run("metric_values", region, {**params, "parent": "all", "max_level": level + 1}))
            )
    return out
