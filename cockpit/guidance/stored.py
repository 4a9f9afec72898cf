"""Stored guidance: the engine's insights for every node from the sub-branches up and each current period
(month, quarter and year to date), written by `cockpit build` into mart_guidance / mart_insights and read
back as the same Insight objects, so the guidance and actions pages, reports and deliveries read rows
instead of recomputing. A figure is computed in one place: the build runs the engine (`findings`).

Scope: each node's guidance is computed with that node's own scope, so a stored row can only name and
quantify nodes of the node's subtree, and the read query joins the reader's scope. What is not stored
(teams and managers, earlier periods, a warehouse built before a new day) is computed on demand by the
engine, and `guidance` says which it was, so the page can say so.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import time
from typing import Any

import pandas as pd

from cockpit.core.periods import KINDS, Period
from cockpit.domain import targets
from cockpit.guidance import Context, Insight, changes, contributors, dormant, findings, generate, lifecycle
from cockpit.warehouse import queries
from cockpit.warehouse.layer import Scope, Warehouse

STORED_LEVEL = 2  # as for the stored funnel: teams and managers read their own, small, share of the events
BUILDER = "cockpit-build"
SHARED = ("channels", "guidance_products", "guidance_campaigns")  # unscoped reference lists, read once


def stored_periods(as_of: dt.date) -> list[Period]:
    """The periods the build stores: the month, quarter and year holding the as-of date (a page's default)."""
    return [Period.containing(kind, as_of, as_of) for kind in KINDS]


def _plain(value: Any) -> Any:
    """A JSON value for a figure, key part or label (numpy numbers become Python ones; NaN stays NaN)."""
    if hasattr(value, "item"):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def to_record(ins: Insight, org_id: str, period: Period, position: int) -> dict[str, Any]:
    """One mart_insights row for an insight shown at `org_id` for `period`."""
    return {
        "period_type": period.kind,
        "period_start": period.start,
        "as_of": period.as_of,
        "org_id": org_id,
        "position": position,
        "insight_key": ins.stable_key(),
        "type": ins.type,
        "audience": ins.audience,
        "severity": int(ins.severity),
        "subject_org_id": ins.org_id,
        "metric": ins.metric_id(),
        "standing": bool(ins.standing),
        "text_zh": ins.text("zh"),
        "text_en": ins.text("en"),
        "action_zh": ins.action("zh"),
        "action_en": ins.action("en"),
        "key_json": json.dumps([_plain(k) for k in ins.key], ensure_ascii=False),
        "figures_json": json.dumps(
            {k: [_plain(v), unit] for k, (v, unit) in ins.figures.items()}, ensure_ascii=False
        ),
        "labels_json": json.dumps({k: list(v) for k, v in ins.labels.items()}, ensure_ascii=False),
        "evidence_json": None
        if ins.detail is None
        else ins.detail.to_json(orient="table", index=False, date_format="iso", force_ascii=False),
    }


def from_record(r: Any) -> Insight:
    """The Insight a mart_insights row was written from (figures, labels, evidence and key as they were)."""
    figures = {
        k: (float("nan") if v is None else v, unit) for k, (v, unit) in json.loads(r.figures_json).items()
    }
    detail = (
        None
        if r.evidence_json is None or r.evidence_json != r.evidence_json
        else pd.read_json(io.StringIO(r.evidence_json), orient="table")
    )
    return Insight(
        r.type,
        r.audience,
        int(r.severity),
        r.subject_org_id,
        figures,
        {k: tuple(v) for k, v in json.loads(r.labels_json).items()},
        detail,
        key=tuple(json.loads(r.key_json)),
        standing=bool(r.standing),
    )


def read(wh: Warehouse, scope: Scope, org_id: str, period: Period) -> list[Insight] | None:
    """The stored guidance of a node and period for this reader, or None when it is not stored. Refuses a
    node outside the scope (the query's org parameter), like the engine."""
    df = wh.run(
        "guidance_stored",
        scope,
        {"org_id": org_id, "period_type": period.kind, "period_start": period.start, "as_of": period.as_of},
    )
    if df.empty:
        return None
    return [from_record(r) for r in df[df.type.notna()].itertuples()]


def guidance(wh: Warehouse, scope: Scope, org_id: str, period: Period) -> tuple[list[Insight], bool]:
    """The insights of a node and period, and whether they were read from the stored rows (False: the engine
    ran now, for a node or period the build does not store)."""
    found = read(wh, scope, org_id, period)
    if found is not None:
        return found, True
    return generate(wh, scope, org_id, period), False


def stored_nodes(wh: Warehouse) -> pd.DataFrame:
    """The nodes whose guidance is stored (levels 0 to STORED_LEVEL), with their subtrees' members."""
    return wh.sql(
        "select c.ancestor_id as org_id, c.descendant_id from org_closure c join orgs o "
        "on o.org_id = c.ancestor_id where o.level <= :level",
        {"level": STORED_LEVEL},
    )


def _metric_windows(period: Period) -> list[tuple[dt.date, dt.date]]:
    """The windows the target rule reads `metric_values` over (cockpit/guidance/targets.py): the period to
    date, its comparable windows, and the whole previous period."""
    prev = period.shifted(-1)
    return sorted({*targets.windows(period).values(), (prev.start, prev.end)})


def _by_org(frame: pd.DataFrame, orgs: set[str] | None = None) -> dict[str, pd.DataFrame]:
    """A frame of many nodes' rows split by node, in its own order (what the query returns for one node)."""
    return {
        str(o): part.reset_index(drop=True)
        for o, part in frame.groupby("org_id", sort=False)
        if orgs is None or o in orgs
    }


Seeds = list[tuple[str, dict[str, Any], pd.DataFrame]]


def _shared(
    wh: Warehouse,
    root: Scope,
    periods: list[Period],
    subtree: dict[str, set[str]],
    family: dict[str, set[str]],
) -> dict[str, Seeds]:
    """Per stored node, the answers computed once for the whole tree that its contexts are given: each is
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
                tree = wh.run(
                    "guidance_breakdown_tree", root, {**params, "org_id": o, "max_level": STORED_LEVEL}
                )
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
                [wh.run(name, root, {**params, "org_id": o, "max_level": STORED_LEVEL + 1}) for o in top]
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
        daily = _daily(wh, top, p)
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


def _daily(wh: Warehouse, top: list[str], period: Period) -> dict[str, pd.DataFrame]:
    """The daily `metric_values` series of every node down to the sub-branches' teams, split by node: the top
    nodes alone, then the subtree of each of their children (so that no answer holds the whole tree's)."""
    params = {"start": period.start, "end": period.to_date, "grain": "day"}
    out: dict[str, pd.DataFrame] = {}
    for o in top:
        scope = Scope(BUILDER, "executive", (o,))
        out.update(_by_org(wh.run("metric_values", scope, {**params, "parent": o})))
        regions = wh.sql("select org_id from orgs where parent_id = :o order by org_id", {"o": o}).org_id
        for r in regions:
            region = Scope(BUILDER, "branch_head", (str(r),))
            out.update(
                _by_org(
                    wh.run(
                        "metric_values", region, {**params, "parent": "all", "max_level": STORED_LEVEL + 1}
                    )
                )
            )
    return out


def compute(wh: Warehouse, as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """mart_guidance and mart_insights rows for every stored node and period, with timings.

    The engine runs per node with the node's own scope. Answers that are the same rows whoever asks are
    computed once for the whole tree and handed to every node (`_shared`), and the periods of one node share
    what they ask alike (the windows ending on the as-of date, the customers dormant by then)."""
    tree = stored_nodes(wh)
    subtree = tree.groupby("org_id")["descendant_id"].agg(set).to_dict()
    orgs = wh.sql("select org_id, parent_id from orgs")
    family = {o: {o} | set(orgs.org_id[orgs.parent_id == o]) for o in subtree}
    root = Scope(BUILDER, "executive", tuple(sorted(orgs.org_id[orgs.parent_id.isna()])))
    periods = stored_periods(as_of)
    t0 = time.perf_counter()
    seeds = _shared(wh, root, periods, subtree, family)
    seconds = {"shared": time.perf_counter() - t0, "engine": 0.0}
    runs, rows = [], []
    t0 = time.perf_counter()
    for org in sorted(subtree):
        memo: dict = {}  # one node's periods: a question asked alike is answered once
        for period in periods:
            ctx = Context(wh, Scope(BUILDER, "branch_head", (org,)), org, period, memo)
            for name, params, frame in seeds[org]:
                ctx.seed(name, frame, **params)
            found = findings(ctx)
            runs.append(
                {
                    "period_type": period.kind,
                    "period_start": period.start,
                    "as_of": as_of,
                    "org_id": org,
                    "insights": len(found),
                }
            )
            rows += [to_record(ins, org, period, i) for i, ins in enumerate(found)]
    seconds["engine"] = time.perf_counter() - t0
    return pd.DataFrame(runs), pd.DataFrame(rows), seconds


def build(target: str) -> str:
    """`cockpit build`'s last step: the guidance of every stored node and period, computed as of the
    warehouse's last day and written in place of the last build's (a DuckDB file, after the marts)."""
    from cockpit.warehouse import guidance_store

    t0 = time.perf_counter()
    wh = Warehouse(target)
    try:
        as_of = wh.sql("select max(event_date) as d from events").d.iloc[0]
        if as_of is None or as_of != as_of:
            runs, rows, seconds = pd.DataFrame(), pd.DataFrame(), {"shared": 0.0, "engine": 0.0}
        else:
            runs, rows, seconds = compute(wh, pd.Timestamp(as_of).date())
    finally:
        wh.engine.dispose()
    guidance_store.write(target, runs, rows)
    return (
        f"guidance stored in {time.perf_counter() - t0:.2f} s ({seconds['shared']:.1f} s shared answers, "
        f"{seconds['engine']:.1f} s engine): {len(runs):,} node-periods, {len(rows):,} insights"
    )
