"""Prepared answers (cockpit/warehouse/prepared.py, prepared_store.py): the rows `cockpit build` keeps are the
query's own answer for every node, window and listed value, whoever reads them; the pages' first views read
them; a branch head gets none outside their subtree; a query that could answer differently per reader is
refused at declaration."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import scope_of
from test_funnel_mart import _copy

from cockpit.core.periods import current_windows
from cockpit.guidance import stored
from cockpit.state import actions
from cockpit.warehouse import prepared, prepared_store, queries
from cockpit.warehouse.layer import Scope, ScopeError, Warehouse
from tests.rendered import each_tab

HO = Scope("t", "executive", ("HO",))
PAGES = {  # the pages whose first view (of each tab) asks prepared queries, and which of them
    "pages/sicas.py": {"sicas_dropoff"},
    "pages/channels.py": {
        "attribution_channels",
        "attribution_staff",
        "channel_service",
        "channel_linkage",
        "wecom_summary",
    },
    "pages/actions.py": {"action_customers"},
}


@pytest.fixture(scope="module")
def built(bank, tmp_path_factory) -> Warehouse:
    path = _copy(bank, tmp_path_factory.mktemp("prepared"))
    prepared_store.build(path)
    stored.build(str(path))  # the guidance as the build keeps it: the pages then ask only what they show
    return Warehouse(str(path))


def kept(wh: Warehouse) -> pd.DataFrame:
    return wh.sql("select query_name, org_id, params, row_count, payload from mart_prepared")


def test_every_prepared_query_is_kept_for_every_node_and_ask(built, as_of):
    have = kept(built)
    nodes = built.sql("select org_id, level from orgs where level <= 1")
    declared = [q for q in queries.catalogue().values() if q.prepared is not None]
    assert {q.name for q in declared} >= set().union(*PAGES.values())
    assert [q.name for q in declared if q.per_scope] == ["attribution_staff"]  # it reads scope_orgs
    for q in declared:
        mine = have[have.query_name == q.name]
        asks = prepared_store.asks(q, as_of)
        for org, level in zip(nodes.org_id, nodes.level):
            scopes = [("HO",)] if not q.per_scope or level == 0 else [("HO",), (org,)]
            want = {
                prepared.key(q.bind({**ask, "org_id": org}), s if q.per_scope else None)
                for ask in asks
                for s in scopes
            }
            assert sorted(mine[mine.org_id == org].params) == sorted(want), (q.name, org)


@pytest.mark.parametrize("who", ["exec", "head_r01"])
def test_a_kept_answer_is_the_query_computed_for_its_reader(built, who):
    """Every kept answer decodes to exactly the frame the query computes now (types included), for the head
    office and for a branch head reading their own branch."""
    scope = HO if who == "exec" else scope_of(who)
    mine = built.visible_orgs(scope)
    compared = nonempty = 0
    for r in kept(built).itertuples():
        q = queries.get(r.query_name)
        values = json.loads(r.params)
        if r.org_id not in mine or (q.per_scope and tuple(values[prepared.SCOPE_KEY]) != scope.org_ids):
            continue
        declared = {p.name for p in q.params}  # the key also holds an included query's fixed values
        given = {k: v for k, v in values.items() if k in declared}
        got = prepared.decode(r.payload)
        computed = built.run(r.query_name, scope, given, use_stored=False)
        assert len(got) == r.row_count
        pd.testing.assert_frame_equal(got, computed, obj=f"{r.query_name} {r.org_id} {r.params}")
        assert built.run(r.query_name, scope, given).equals(got)  # what a reader is given
        compared += 1
        nonempty += not got.empty
    assert compared > (len(kept(built)) // 2 if who == "exec" else 1) and nonempty > compared // 2


def test_a_kept_answer_is_given_and_other_values_are_computed(built, as_of, monkeypatch):
    q = queries.get("sicas_dropoff")
    (start, end), *_ = current_windows(as_of)
    params = {"org_id": "R01", "start": start, "end": end, "max_rows": 50}
    ran: list[str] = []
    real = Warehouse._frame
    monkeypatch.setattr(Warehouse, "_frame", lambda self, sql, p: ran.append(sql) or real(self, sql, p))
    built.run(q.name, HO, params)
    assert len(ran) <= 3 and all("mart_prepared" in s or "orgs" in s for s in ran), ran
    ran.clear()
    built.run(q.name, HO, {**params, "max_rows": 49})  # not kept: computed from the events
    assert any("events" in s for s in ran)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_a_pages_first_view_reads_the_kept_answers(app, built, monkeypatch, as_of, page):
    monkeypatch.setenv("COCKPIT_WAREHOUSE", built.target)
    hits: list[str] = []
    misses: list[str] = []
    real = Warehouse._prepared

    def spy(self, name, bound, scope=None):
        found = real(self, name, bound, scope)
        (hits if found is not None else misses).append(name)
        return found

    monkeypatch.setattr(Warehouse, "_prepared", spy)
    for user, org in (("exec", "HO"), ("head_r01", "R01")):
        state = {}
        if page == "pages/actions.py":  # the new-action tab offers the customers of the insight picked
            found = stored.read(built, scope_of(user), org, stored.stored_periods(as_of)[0])
            listed = [i for i, ins in enumerate(found) if actions.reason_of(ins) is not None]
            assert listed, "no insight with action-list customers to pick"
            state = {"new_insight": listed[0]}
        at = app(user, state=state)
        at.switch_page(page).run()
        for view in each_tab(at):  # the channels page reads a tab's figures when it is opened
            assert not view.exception, page
    assert PAGES[page] <= set(hits), (page, hits, misses)
    assert not misses, (page, misses)


def test_a_branch_head_gets_no_kept_answer_outside_their_branch(built, as_of, attacks):
    head = scope_of("head_r02")
    (start, end), *_ = current_windows(as_of)
    for r in kept(built).drop_duplicates(["query_name", "org_id"]).itertuples():
        if r.org_id.startswith("R02"):
            continue
        q = queries.get(r.query_name)
        window = {"start": start, "end": end} if "start" in {p.name for p in q.params} else {"as_of": as_of}
        attacks.append(f"prepared {r.query_name} {r.org_id}")
        with pytest.raises(ScopeError, match="outside your scope"):
            built.run(r.query_name, head, {"org_id": r.org_id, **window})


def test_a_query_is_prepared_only_when_its_answer_depends_on_its_parameters_and_scope(tmp_path):
    base = "-- description: d\n-- param: org_id org\n-- param: start date\n-- param: end date\n"
    cases = {
        "ranks peers": base + "-- scope: peers\n-- prepared:\nselect 1 from node_orgs",
        "bound rows": base + "-- rows: r(a bigint)\n-- prepared:\nselect 1 from node_orgs",
        "no window": "-- description: d\n-- param: org_id org\n-- prepared:\nselect 1 from node_orgs",
        "unknown value": base + "-- prepared: limit=5\nselect 1 from node_orgs",
        "bad value": base + "-- param: n int = 1\n-- prepared: n=many\nselect 1 from node_orgs",
    }
    for why, text in cases.items():
        path = tmp_path / "q.sql"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(queries.QueryError):
            queries._check_prepared(queries._parse(path), {})
        assert why
    path.write_text(base + "-- prepared:\nselect 1 from node_orgs", encoding="utf-8")
    assert not queries._check_prepared(queries._parse(path), {}).per_scope  # the subtree only: kept once
    path.write_text(base + "-- prepared:\nselect 1 from node_orgs join scope_orgs using (org_id)", "utf-8")
    assert queries._check_prepared(queries._parse(path), {}).per_scope  # the reader's scope: kept per scope
