"""Outcome of done actions against comparable customers with no action,
checked by an independent pandas walk.
"""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cockpit.domain import outcome
from cockpit.state import actions, auth
from cockpit.warehouse.layer import Scope, ScopeError

STAGE_NO = {"S": 1, "I": 2, "C": 3, "A": 4, "H": 5}


@pytest.fixture(scope="module")
def done_actions(wh, as_of, bank):
    """Done actions on R01 and R02 customers at two anchor days, an open one (its customers only excluded)."""
    head = auth.get_user("exec")
    pick = wh.sql(
        "select customer_id, org_id from customers where org_id like 'R01B01T1%' or org_id like 'R02B01%' "
        "order by customer_id"
    )
    r01 = [int(c) for c in pick[pick.org_id.str.startswith("R01")].customer_id[:25]]
    r02 = [int(c) for c in pick[pick.org_id.str.startswith("R02")].customer_id[:25]]
    made = []
    for custs, org, anchor, kind in (
        (r01[:15], "R01", as_of - dt.timedelta(days=75), "dormant_high_value"),
        (r02[:15], "R02", as_of - dt.timedelta(days=50), "funnel_leak"),
        (r01[15:], "R01", as_of - dt.timedelta(days=10), "dormant_high_value"),
    ):
        a = actions.create(
            wh,
            head,
            title=f"{kind} {org}",
            owner="exec",
            due=anchor,
            org_id=org,
            insight_type=kind,
            customers=custs,
        )
        made.append(actions.update(wh, head, a.id, a.version, status="done", done_on=anchor))
    actions.create(wh, head, title="still open", owner="exec", due=as_of, org_id="R02", customers=r02[15:])
    return made


def independent(wh, acts, days, lookback, visible):
    """The rule of cockpit/domain/outcome.py, walked customer by customer in pandas."""
    ev = wh.sql("select customer_id, event_date, stage, amount from events where customer_id is not null")
    ev["event_date"] = pd.to_datetime(ev.event_date)
    ev["no"] = ev.stage.map(STAGE_NO)
    cust = wh.sql("select customer_id, org_id, segment from customers").set_index("customer_id")
    acted = {c for a in acts for c in a.customers}

    def measure(c, anchor):
        e = ev[ev.customer_id == c]
        before = e[(e.event_date > anchor - pd.Timedelta(days=lookback)) & (e.event_date <= anchor)]
        after = e[(e.event_date > anchor) & (e.event_date <= anchor + pd.Timedelta(days=days))]
        start = before.no.max() if len(before) else 0
        top = after.no.max() if len(after) else 0
        a = after[after.stage == "A"]
        return start, int(top > start), len(a), a.amount.sum()

    rows = []
    for act in acts:
        if act.status != "done":
            continue
        anchor = pd.Timestamp(act.done_on)
        for c in act.customers:
            org, seg = cust.loc[c, "org_id"], cust.loc[c, "segment"]
            if org not in visible:
                continue
            start, reached, n, amount = measure(c, anchor)
            peers = [p for p in cust[(cust.org_id == org) & (cust.segment == seg)].index if p not in acted]
            pm = [m for m in (measure(p, anchor) for p in peers) if m[0] == start]
            rows.append(
                {
                    "action_id": act.id,
                    "customer_id": c,
                    "start_stage": start,
                    "reached_next": reached,
                    "actions": n,
                    "amount": amount,
                    "controls": len(pm),
                    "control_reached": np.mean([m[1] for m in pm]) if pm else np.nan,
                    "control_actions": np.mean([m[2] for m in pm]) if pm else np.nan,
                    "control_amount": np.mean([m[3] for m in pm]) if pm else np.nan,
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("user", ["exec", "head_r02"])
def test_outcome_per_customer_equals_an_independent_computation(wh, as_of, done_actions, user):
    scope = auth.get_user(user).scope
    acts = actions.all_actions()
    got = outcome.per_customer(wh, scope, acts, days=30, lookback=90)
    want = independent(wh, acts, 30, 90, wh.visible_orgs(scope))
    assert len(got) == len(want) > 0
    assert set(got.org_id) <= wh.visible_orgs(scope)
    key = ["action_id", "customer_id"]
    g, w = got.sort_values(key).reset_index(drop=True), want.sort_values(key).reset_index(drop=True)
    for col in ["action_id", "customer_id", "start_stage", "reached_next", "actions", "controls"]:
        assert list(g[col].astype(int)) == list(w[col].astype(int)), col
    for col in ["amount", "control_reached", "control_actions", "control_amount"]:
        assert np.allclose(g[col].astype(float), w[col].astype(float), equal_nan=True), col
    some = outcome.per_customer(wh, scope, done_actions[:1], days=30, lookback=90)  # a subset: same baselines
    assert set(some.action_id) <= {done_actions[0].id}
    assert np.allclose(
        some.control_reached.astype(float),
        g[g.action_id == done_actions[0].id].control_reached.astype(float),
        equal_nan=True,
    )
    last = max(a.done_on for a in done_actions)
    assert set(g[g.action_id == done_actions[-1].id].complete) <= {int(last + dt.timedelta(days=30) <= as_of)}


def test_outcome_groups_average_customers_against_their_own_baselines(wh, done_actions):
    acts = actions.all_actions()
    cust = outcome.per_customer(wh, Scope("e", "executive", ("HO",)), acts)
    by_type = outcome.compare(cust, acts, "insight_type").set_index("insight_type")
    meta = actions.frame(acts).set_index("id")
    done = cust[cust.complete == 1].assign(kind=lambda d: d.action_id.map(meta.insight_type))
    for kind, grp in done.groupby("kind"):
        m = grp[grp.controls > 0]
        assert by_type.loc[kind, "customers"] == len(grp)
        assert by_type.loc[kind, "matched"] == len(m)
        assert by_type.loc[kind, "effect_reached"] == pytest.approx(
            (m.reached_next - m.control_reached).mean(), nan_ok=True
        )
    assert done_actions[-1].id not in set(done.action_id)  # its window has not ended yet
    assert set(outcome.compare(cust, acts, "owner").owner) <= {"exec", "mgr_r02", "head_r02"}
    with pytest.raises(ValueError, match="by must be one of"):
        outcome.compare(cust, acts, "colour")


def test_outcome_bound_rows_never_leak_another_branch(wh, done_actions):
    acts = actions.all_actions()
    got = outcome.per_customer(wh, Scope("h", "branch_head", ("R01",)), acts)
    assert not got.empty and set(got.org_id.str[:3]) == {"R01"}
    assert outcome.per_customer(wh, Scope("n", "branch_head", ()), acts).empty


def test_the_assessment_indicator_counts_on_time_completion_and_effect(wh, as_of, done_actions):
    head = auth.get_user("exec")
    late = actions.create(
        wh, head, title="late one", owner="exec", due=as_of - dt.timedelta(days=60), org_id="R02B01"
    )
    late = actions.update(
        wh, head, late.id, late.version, status="done", done_on=as_of - dt.timedelta(days=20)
    )
    gone = actions.create(
        wh, head, title="dropped", owner="exec", due=as_of - dt.timedelta(days=60), org_id="R02B01"
    )
    actions.update(wh, head, gone.id, gone.version, status="dismissed", reason="duplicate")
    start, end = as_of - dt.timedelta(days=120), as_of
    got = outcome.indicator(
        wh, Scope("e", "executive", ("HO",)), ["R01", "R02", "R03"], start, end
    ).set_index("org_id")
    paths = wh.sql("select org_id, path from orgs").set_index("org_id").path
    cust = outcome.per_customer(wh, Scope("e", "executive", ("HO",)), actions.all_actions())
    for node in ["R01", "R02", "R03"]:
        due = [
            a
            for a in actions.all_actions()
            if f"/{node}/" in paths[a.org_id] and start <= a.due_date <= end and a.status != "dismissed"
        ]
        ok = [a for a in due if a.status == "done" and a.done_on <= a.due_date]
        assert got.loc[node, "due"] == len(due) and got.loc[node, "done_on_time"] == len(ok)
        if not due:
            assert np.isnan(got.loc[node, "score"])
            continue
        m = cust[cust.action_id.isin([a.id for a in due]) & (cust.complete == 1) & (cust.controls > 0)]
        effect = (m.reached_next - m.control_reached).mean() if len(m) else np.nan
        want = (
            len(ok) / len(due)
            if np.isnan(effect)
            else (len(ok) / len(due) + min(max(effect + 0.5, 0), 1)) / 2
        )
        assert got.loc[node, "score"] == pytest.approx(want)
    assert (
        got.loc["R02", "done_on_time"] < got.loc["R02", "due"]
    )  # the late one does not count as done on time
    assert np.isnan(outcome.score(float("nan"), 0.2)) and outcome.score(0.5, float("nan")) == 0.5
    with pytest.raises(ScopeError):
        outcome.indicator(wh, Scope("h", "branch_head", ("R02",)), ["R01"], start, end)


@pytest.fixture(scope="module")
def pg_wh(bank, pg_url, tmp_path_factory):
    """The xs bank exported to PostgreSQL (from a copy: the session's DuckDB file is already open here)."""
    import shutil

    from cockpit.warehouse import export
    from cockpit.warehouse.layer import Warehouse

    copy = tmp_path_factory.mktemp("pg_source") / "warehouse.duckdb"
    shutil.copy(bank / "warehouse.duckdb", copy)
    export.export(copy, pg_url)
    pgwh = Warehouse(pg_url)
    yield pgwh
    pgwh.engine.dispose()


@pytest.mark.postgres
def test_bound_rows_give_the_same_outcome_on_postgresql(pg_wh, wh):
    pgwh = pg_wh
    ids = [
        int(c)
        for c in wh.sql(
            "select customer_id from customers where org_id like 'R01B01%' order by customer_id limit 20"
        ).customer_id
    ]
    rows = [(1, c, dt.date(2026, 8, 1)) for c in ids[:10]] + [(0, c, None) for c in ids[10:]]
    scope = Scope("e", "executive", ("HO",))
    a = wh.run("outcome_customers", scope, {"days": 30}, rows=rows)
    b = pgwh.run("outcome_customers", scope, {"days": 30}, rows=rows)
    assert len(a) == len(b) == 10
    for col in ["customer_id", "start_stage", "reached_next", "actions", "controls", "complete"]:
        assert list(a[col].astype(int)) == list(b[col].astype(int)), col
    for col in ["amount", "control_reached", "control_amount"]:
        assert np.allclose(a[col].astype(float), b[col].astype(float), equal_nan=True), col
    head = Scope("h", "branch_head", ("R01B01",))
    assert list(pgwh.run("action_loop_customers", head, rows=[(c,) for c in ids]).customer_id) == ids
