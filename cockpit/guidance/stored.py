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
import gc
import json
import math
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pandas as pd

from cockpit.core.periods import KINDS, Period
from cockpit.guidance import Context, Insight, findings, generate, tree_answers
from cockpit.warehouse import marts
from cockpit.warehouse.layer import Scope, Warehouse

STORED_LEVEL = 2  # as for the stored funnel: teams and managers read their own, small, share of the events
BUILDER = "cockpit-build"


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
    evidence = None if r.evidence_json is None or r.evidence_json != r.evidence_json else r.evidence_json
    return Insight(
        r.type,
        r.audience,
        int(r.severity),
        r.subject_org_id,
        figures,
        {k: tuple(v) for k, v in json.loads(r.labels_json).items()},
        key=tuple(json.loads(r.key_json)),
        standing=bool(r.standing),
        evidence_json=evidence,  # read into a frame when shown
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


def compute(wh: Warehouse, as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """mart_guidance and mart_insights rows for every stored node and period, with timings.

    The engine runs per node with the node's own scope. Answers that are the same rows whoever asks are
    computed once for the whole tree and handed to every node (cockpit/guidance/tree_answers.py), and the
    periods of one node share what they ask alike (the windows ending on the as-of date, the customers
    dormant by then). The engine runs in one process per build thread (COCKPIT_BUILD_THREADS, else one per
    core)."""
    tree = stored_nodes(wh)
    subtree = tree.groupby("org_id")["descendant_id"].agg(set).to_dict()
    orgs = wh.sql("select org_id, parent_id from orgs")
    family = {o: {o} | set(orgs.org_id[orgs.parent_id == o]) for o in subtree}
    root = Scope(BUILDER, "executive", tuple(sorted(orgs.org_id[orgs.parent_id.isna()])))
    periods = stored_periods(as_of)
    t0 = time.perf_counter()
    seeds = tree_answers.seeds(wh, root, periods, subtree, family, STORED_LEVEL)
    seconds = {"shared": time.perf_counter() - t0, "engine": 0.0}
    t0 = time.perf_counter()
    nodes = sorted(subtree)
    workers = min(len(nodes), marts.build_threads() or os.cpu_count() or 1)
    if workers <= 1:
        done = _engine(wh, nodes, periods, seeds)
    else:
        done = _in_processes(wh, nodes, periods, seeds, workers)
    runs = [run for o in nodes for run in done[o][0]]
    rows = [row for o in nodes for row in done[o][1]]
    seconds["engine"] = time.perf_counter() - t0
    return pd.DataFrame(runs), pd.DataFrame(rows), seconds


Done = dict[str, tuple[list[dict], list[dict]]]  # per node: its node-period runs and its insight rows


def _engine(
    wh: Warehouse, nodes: list[str], periods: list[Period], seeds: dict[str, tree_answers.Seeds]
) -> Done:
    """Run the engine for these nodes, each with its own scope, given the tree's shared answers."""
    done: Done = {}
    for org in nodes:
        memo: dict = {}  # one node's periods: a question asked alike is answered once
        runs, rows = [], []
        for period in periods:
            ctx = Context(wh, Scope(BUILDER, "branch_head", (org,)), org, period, memo)
            for name, params, frame in seeds[org]:
                ctx.seed(name, frame, **params)
            found = findings(ctx)
            runs.append(
                {
                    "period_type": period.kind,
                    "period_start": period.start,
                    "as_of": period.as_of,
                    "org_id": org,
                    "insights": len(found),
                }
            )
            rows += [to_record(ins, org, period, i) for i, ins in enumerate(found)]
        done[org] = (runs, rows)
    return done


# What forked workers read: set by the parent just before it forks them, so the shared answers reach them
# without being copied through a pipe.
_SHARED: dict[str, Any] = {}


def _worker(nodes: list[str]) -> Done:
    wh = Warehouse(_SHARED["target"], memory_limit=_SHARED["memory"])
    try:
        return _engine(wh, nodes, _SHARED["periods"], _SHARED["seeds"])
    finally:
        wh.engine.dispose()


def _in_processes(
    wh: Warehouse, nodes: list[str], periods: list[Period], seeds: dict[str, tree_answers.Seeds], workers: int
) -> Done:
    """`_engine` in `workers` forked processes (the engine is Python, one core each), each opening the
    warehouse read-only on its own with its share of COCKPIT_BUILD_MEMORY (else each DuckDB would keep what
    it reads up to most of the machine's memory); the nodes are dealt round-robin, so that the head office
    and the branches, the heaviest, do not all fall to one."""
    wh.engine.dispose()  # no connection of the parent's may cross the fork
    _SHARED.update(target=wh.target, periods=periods, seeds=seeds, memory=marts.build_memory(workers))
    done: Done = {}
    try:
        context = multiprocessing.get_context("fork")
        # gc.freeze in each worker: what it inherited (the parent's DuckDB objects among them) is never
        # collected there, so no finaliser of the parent's runs in the child (one crashed a worker so)
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=gc.freeze) as pool:
            for part in pool.map(_worker, [nodes[i::workers] for i in range(workers)]):
                done.update(part)
    finally:
        _SHARED.clear()
    return done


def build(target: str) -> str:
    """`cockpit build`'s last step: the guidance of every stored node and period, computed as of the
    warehouse's last day and written in place of the last build's (a DuckDB file, after the marts)."""
    from cockpit.warehouse import guidance_store

    t0 = time.perf_counter()
    wh = Warehouse(target, memory_limit=marts.build_memory())
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
