"""The stored guidance (mart_guidance, mart_insights) gives, for every stored node and period, the insights
the engine computes on demand, as an executive and as a branch head; a branch head reaches no stored insight
outside their subtree, and no stored insight they read names or quantifies a node outside it."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import scope_of

from cockpit import guidance
from cockpit.core.periods import Period
from cockpit.guidance import Insight, contributors, dormant, lifecycle, stored
from cockpit.warehouse.layer import Scope, ScopeError, Warehouse
from cockpit.warehouse.queries import QueryError

HO = Scope("t", "executive", ("HO",))


@pytest.fixture(scope="module")
def built(bank: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """A copy of the xs bank with its guidance stored by the build's own step, its engine in two processes
    whatever the machine (see test_the_engine_gives_the_same_rows_in_one_process_as_in_two)."""
    path = tmp_path_factory.mktemp("stored_guidance") / "warehouse.duckdb"
    shutil.copy(bank / "warehouse.duckdb", path)
    before = os.environ.get("COCKPIT_BUILD_THREADS")
    os.environ["COCKPIT_BUILD_THREADS"] = "2"
    try:
        stored.build(str(path))
    finally:
        if before is None:
            os.environ.pop("COCKPIT_BUILD_THREADS")
        else:
            os.environ["COCKPIT_BUILD_THREADS"] = before
    return Warehouse(str(path))


def stored_pairs(wh: Warehouse) -> list[tuple[str, Period]]:
    df = wh.sql("select org_id, period_type, period_start, as_of from mart_guidance order by 1, 2")
    return [
        (r.org_id, Period(r.period_type, pd.Timestamp(r.period_start).date(), pd.Timestamp(r.as_of).date()))
        for r in df.itertuples()
    ]


def _same_value(a: object, b: object) -> bool:
    a, b = (float("nan") if v is None else v for v in (a, b))  # JSON keeps no difference between the two
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _plain_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A frame with dates as dates and text as plain objects, so a JSON round trip compares by value."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d %H:%M:%S")
        elif not pd.api.types.is_numeric_dtype(out[c]) or pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out.reset_index(drop=True)


def assert_same_insights(got: list[Insight], want: list[Insight], where: str) -> None:
    assert [i.stable_key() for i in got] == [i.stable_key() for i in want], where
    for a, b in zip(got, want):
        what = f"{where} {b.stable_key()}"
        assert (a.type, a.audience, a.severity, a.org_id, a.standing) == (
            b.type,
            b.audience,
            b.severity,
            b.org_id,
            b.standing,
        ), what
        assert set(a.figures) == set(b.figures), what
        for k, (v, unit) in b.figures.items():
            assert a.figures[k][1] == unit and _same_value(a.figures[k][0], v), (what, k, a.figures[k], v)
        assert a.labels == {k: tuple(v) for k, v in b.labels.items()}, what
        for lang in ("zh", "en"):
            assert (a.text(lang), a.action(lang), a.baseline(lang), a.topic(lang)) == (
                b.text(lang),
                b.action(lang),
                b.baseline(lang),
                b.topic(lang),
            ), what
        assert (a.detail is None) == (b.detail is None), what
        if b.detail is not None:
            pd.testing.assert_frame_equal(
                _plain_frame(a.detail), _plain_frame(b.detail), check_dtype=False, check_names=False, obj=what
            )


def test_the_build_stores_every_node_from_the_sub_branches_up_for_each_current_period(built, as_of):
    pairs = stored_pairs(built)
    nodes = set(built.sql(f"select org_id from orgs where level <= {stored.STORED_LEVEL}").org_id)
    assert {o for o, _ in pairs} == nodes
    assert {(p.kind, p.start, p.as_of) for _, p in pairs} == {
        (p.kind, p.start, as_of) for p in stored.stored_periods(as_of)
    }
    counts = built.sql("select org_id, period_type, count(*) as n from mart_insights group by 1, 2")
    index = built.sql("select org_id, period_type, insights as n from mart_guidance where insights > 0")
    assert sorted(map(tuple, counts.values.tolist())) == sorted(map(tuple, index.values.tolist()))
    assert counts.n.sum() > 0


def test_the_engine_gives_the_same_rows_in_one_process_as_in_two(built, as_of, monkeypatch):
    """The build deals the nodes to one process per build thread; one process gives the same node-periods
    and insights, in the same order (the figures to DuckDB's summing order, see _same_value)."""
    monkeypatch.setenv("COCKPIT_BUILD_THREADS", "1")
    runs, rows, _ = stored.compute(built, as_of)
    kept = built.sql("select * from mart_insights order by org_id, period_type, position")
    index = built.sql("select * from mart_guidance")
    assert len(runs) == len(index) and runs.insights.sum() == index.insights.sum() == len(kept) == len(rows)
    assert list(rows.org_id) == sorted(rows.org_id)  # each node's rows together, nodes in order
    one = rows.sort_values(["org_id", "period_type", "position"]).reset_index(drop=True)
    for col in ("insight_key", "type", "severity", "subject_org_id", "text_en", "text_zh", "action_en"):
        assert list(one[col]) == list(kept[col]), col
    for a, b in zip(one.figures_json, kept.figures_json):
        a, b = json.loads(a), json.loads(b)
        assert a.keys() == b.keys() and all(_same_value(a[k][0], b[k][0]) for k in a)


def test_stored_insights_equal_the_engine_as_an_executive(built):
    for org, period in stored_pairs(built):
        got = stored.read(built, HO, org, period)
        assert got is not None, (org, period)
        assert_same_insights(got, guidance.generate(built, HO, org, period), f"{org} {period.label}")


def test_stored_insights_equal_the_engine_as_a_branch_head(built):
    head = scope_of("head_r01")
    mine = built.visible_orgs(head)
    for org, period in stored_pairs(built):
        if org in mine:
            found, was_stored = stored.guidance(built, head, org, period)
            assert was_stored, (org, period)
            assert_same_insights(found, guidance.generate(built, head, org, period), f"{org} {period.label}")


def test_a_period_that_is_not_stored_is_computed_on_demand_and_said_so(built, as_of):
    month = stored.stored_periods(as_of)[0].shifted(-1)
    found, was_stored = stored.guidance(built, HO, "HO", month)
    assert not was_stored
    assert_same_insights(found, guidance.generate(built, HO, "HO", month), "previous month")
    team = built.sql("select org_id from orgs where level = 3 order by org_id limit 1").org_id.iloc[0]
    assert stored.read(built, HO, team, stored.stored_periods(as_of)[0]) is None
    later = Period(month.kind, stored.stored_periods(as_of)[0].start, as_of + dt.timedelta(days=1))
    assert stored.read(built, HO, "HO", later) is None  # rows of an older day are never served as today's


def test_the_answers_read_once_for_the_whole_tree_give_each_node_what_it_reads_alone(built, as_of):
    """The build splits whole-tree answers by node: each part equals the node's own query (sums of money
    to the last cents' rounding, which depends on the order DuckDB adds them in)."""
    period = stored.stored_periods(as_of)[1]
    params = contributors.query_params(guidance.Context(built, HO, "HO", period), "sales")
    tree = built.run("guidance_breakdown_tree", HO, {**params, "max_level": stored.STORED_LEVEL})
    nodes = set(built.sql(f"select org_id from orgs where level <= {stored.STORED_LEVEL}").org_id)
    assert set(tree.node_id) == nodes
    for org in sorted(nodes):
        alone = built.run("guidance_breakdown", HO, {**params, "org_id": org})
        mine = tree[tree.node_id == org].drop(columns="node_id").reset_index(drop=True)
        assert not alone.empty and len(set(alone.dimension)) == 4, org
        pd.testing.assert_frame_equal(mine, alone, check_dtype=False, rtol=1e-9, obj=org)
    for name, asked in (
        ("guidance_dormant", dormant.query_params(guidance.Context(built, HO, "HO", period))),
        ("guidance_lifecycle_unreached", lifecycle.query_params(guidance.Context(built, HO, "HO", period))),
    ):
        down = built.run(name, HO, {**asked, "max_level": stored.STORED_LEVEL + 1})
        assert set(down.parent_id.dropna()) == nodes, name
        for org in sorted(nodes):
            alone = built.run(name, HO, {**asked, "org_id": org})
            assert not alone.empty and set(alone.parent_id) == {org}, (name, org)
            mine = down[down.parent_id == org].reset_index(drop=True)
            pd.testing.assert_frame_equal(mine, alone, check_dtype=False, obj=f"{name} {org}")
    window = {"start": period.start, "end": period.to_date, "grain": "day"}
    daily = built.run("metric_values", HO, {**window, "parent": "all", "max_level": stored.STORED_LEVEL + 1})
    assert set(daily.level) == set(range(stored.STORED_LEVEL + 2))
    team = built.sql("select org_id from orgs where level = 3 order by org_id limit 1").org_id.iloc[0]
    for org in ("HO", "R01", "R01B01", team):
        alone = built.run("metric_values", HO, {**window, "parent": org})
        mine = daily[daily.org_id == org].reset_index(drop=True)
        assert len(alone) > 0
        pd.testing.assert_frame_equal(_plain_frame(mine), _plain_frame(alone), check_dtype=False, obj=org)


def test_a_branch_head_reads_no_other_branch_from_the_whole_tree_answers(built, as_of, attacks):
    head = scope_of("head_r01")
    mine = built.visible_orgs(head)
    period = stored.stored_periods(as_of)[0]
    params = contributors.query_params(guidance.Context(built, head, "R01", period), "actions")
    tree = built.run("guidance_breakdown_tree", head, {**params, "max_level": 4})
    assert not tree.empty and set(tree.node_id) <= mine
    assert set(tree[tree.dimension == "org"].member) <= mine
    attacks.append("whole-tree change split of HO as head_r01")
    with pytest.raises(ScopeError):
        built.run("guidance_breakdown_tree", head, {**params, "org_id": "HO", "max_level": 4})
    window = {"start": period.start, "end": period.to_date, "grain": "day", "parent": "all"}
    attacks.append("every node's daily metrics as head_r01")
    assert set(built.run("metric_values", head, window).org_id) == mine


# ---------------------------------------------------------------- from the attacker's side
def _outside_words(wh: Warehouse, scope: Scope) -> tuple[set[str], set[str]]:
    """The ids of the nodes outside the scope, and those of their names no inside name contains."""
    orgs = wh.sql("select org_id, name_zh, name_en from orgs")
    mine = wh.visible_orgs(scope)
    inside = orgs[orgs.org_id.isin(mine)]
    outside = orgs[~orgs.org_id.isin(mine)]
    inside_names = [*inside.name_zh, *inside.name_en]
    names = {n for n in [*outside.name_zh, *outside.name_en] if not any(n in own for own in inside_names)}
    return set(outside.org_id), names


def test_a_branch_head_reaches_no_stored_insight_outside_their_subtree(built, attacks):
    head = scope_of("head_r01")
    mine = built.visible_orgs(head)
    for org, period in stored_pairs(built):
        params = {
            "org_id": org,
            "period_type": period.kind,
            "period_start": period.start,
            "as_of": period.as_of,
        }
        attacks.append(f"stored guidance of {org} as head_r01")
        if org in mine:
            assert not built.run("guidance_stored", head, params).empty
        else:
            with pytest.raises(ScopeError):
                built.run("guidance_stored", head, params)
            with pytest.raises(ScopeError):
                stored.guidance(built, head, org, period)
    _, period = stored_pairs(built)[0]
    base = {"period_type": period.kind, "period_start": period.start, "as_of": period.as_of}
    for bad in ("R02' or '1'='1", "HO;drop table mart_insights", "R01 ", "%", "R0_"):
        attacks.append(f"crafted org {bad!r}")
        with pytest.raises((QueryError, ScopeError)):
            built.run("guidance_stored", head, {**base, "org_id": bad})
    for key, bad in (("period_type", "month' or '1'='1"), ("period_start", "2026-01-01 or 1=1")):
        attacks.append(f"crafted {key} {bad!r}")
        with pytest.raises(QueryError):
            built.run("guidance_stored", head, {**base, "org_id": "R01", key: bad})


def test_no_stored_insight_a_branch_head_reads_names_or_quantifies_a_node_outside_their_scope(built):
    """Every row head_r01 can read, every column: no id or name of a node outside R01's subtree, and every
    evidence row is about a node of the subtree (a peer comparison naming another branch would fail here)."""
    head = scope_of("head_r01")
    mine = built.visible_orgs(head)
    ids, names = _outside_words(built, head)
    read = 0
    for org, period in stored_pairs(built):
        if org not in mine:
            continue
        params = {
            "org_id": org,
            "period_type": period.kind,
            "period_start": period.start,
            "as_of": period.as_of,
        }
        rows = built.run("guidance_stored", head, params)
        rows = rows[rows.type.notna()]
        for r in rows.itertuples():
            read += 1
            assert r.subject_org_id in mine
            text = " ".join(
                str(v) for v in (r.key_json, r.figures_json, r.labels_json, r.evidence_json or "")
            )
            found = [w for w in names if w in text]
            assert not found, (org, r.insight_key, found)
            for token in json.loads(r.key_json):
                assert str(token) not in ids, (org, r.insight_key)
            if r.evidence_json:
                evidence = pd.read_json(io.StringIO(r.evidence_json), orient="table")
                for col in ("org_id", "slice", "member"):
                    if col in evidence and r.type not in (
                        "campaign_outperformance",
                        "campaign_underperformance",
                    ):
                        assert not set(evidence[col].astype(str)) & ids, (org, r.insight_key, col)
    assert read > 0
    # The check can fail: the head office's stored rows, read by an executive, do name nodes outside R01.
    everything = built.sql(
        "select key_json || figures_json || labels_json || coalesce(evidence_json, '') as t "
        "from mart_insights where org_id = 'HO'"
    ).t
    assert any(w in text for text in everything for w in names | ids)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_guidance_page_reads_the_stored_rows_and_says_when_it_computed_now(
    app, built, monkeypatch, as_of, lang
):
    from cockpit.core import i18n

    monkeypatch.setenv("COCKPIT_WAREHOUSE", built.target)
    note = i18n.t("guidance.on_demand", lang)
    at = app("head_r01", lang=lang)
    at.switch_page("pages/guidance.py").run()
    assert not at.exception
    shown = [e.label for e in at.expander]
    want = stored.read(built, scope_of("head_r01"), "R01", stored.stored_periods(as_of)[0])
    assert want and len(shown) == min(len(want), guidance.PAGE_SIZE)
    assert note not in [c.value for c in at.caption]
    earlier = stored.stored_periods(as_of)[0].shifted(-1).label
    at = app("head_r01", lang=lang, state={"f_kind": "month", "f_period": earlier})
    at.switch_page("pages/guidance.py").run()
    assert not at.exception and at.session_state["f_period"] == earlier
    assert note in [c.value for c in at.caption]


def test_a_warehouse_built_before_the_stored_guidance_gets_its_tables(built, tmp_path):
    """`cockpit build` on an older warehouse: the tables are created, then filled."""
    import duckdb

    from cockpit.warehouse import guidance_store

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table mart_insights (org_id varchar)")  # an older layout
    con.close()
    runs = built.sql("select * from mart_guidance")
    rows = built.sql("select * from mart_insights")
    guidance_store.write(path, runs, rows)
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("select count(*) from mart_insights").fetchone() == (len(rows),)
        assert con.execute("select count(*) from mart_guidance").fetchone() == (len(runs),)
    finally:
        con.close()
