"""The warehouse layer: schema as documented, every query runs, scope always applied, figures right."""

import datetime as dt
import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cockpit.warehouse import layer, queries, schema
from cockpit.warehouse.layer import PEER_COLUMNS, QueryError, Scope, ScopeError


def sample_params(q, as_of):
    """A valid value for each declared parameter (its default where it has one)."""
    values = {"org": "HO", "date": as_of, "int": 7, "float": 1.0, "bool": True, "str": "all"}
    out = {}
    for p in q.params:
        if p.default is not None:
            continue
        out[p.name] = p.choices[0] if p.choices else values[p.type]
    if "start" in out:
        out["start"] = as_of.replace(day=1)
    if "prev_start" in out:
        out["prev_start"], out["prev_end"] = (
            as_of.replace(day=1) - dt.timedelta(days=31),
            as_of - dt.timedelta(days=31),
        )
    if q.name == "scorecard_scores":  # its period parameters as the scorecard gives them
        from cockpit.core.periods import Period
        from cockpit.domain import scorecard

        cfg = scorecard.params("HO", Period.containing("month", as_of, as_of))
        out.update({k: v for k, v in cfg.items() if k != "org_id"})
    return out


def sample_settings(q) -> dict:
    """A query's settings as its owning module gives them (the scorecard's weights and rules), so that
    scores and ranks exist."""
    if q.name != "scorecard_scores":
        return {}
    from cockpit.core.calendar import Progress
    from cockpit.domain import scorecard

    return scorecard.settings(Progress(21, 14))


def test_schema_description_matches_the_tables(wh):
    cols = wh.sql(
        "select table_name, column_name from information_schema.columns where table_schema = 'main'"
    )
    actual = cols.groupby("table_name")["column_name"].apply(list).to_dict()
    for table, spec in schema.tables().items():
        assert spec["description"], table
        assert actual.get(table) == list(spec["columns"]), table
        assert all(c.get("description") for c in spec["columns"].values()), table
    assert set(actual) == set(schema.tables())


@pytest.mark.parametrize("name", sorted(queries.catalogue()))
def test_every_query_runs_on_the_xs_bank_and_is_described(wh, as_of, name):
    q = queries.get(name)
    assert q.description, f"{name} has no description"
    assert q.scope == "none" or re.search(r"\b(scope_orgs|node_orgs|child_orgs)\b", q.sql), (
        f"{name} must join scope_orgs, node_orgs or child_orgs"
    )
    df = wh.run(name, Scope("t", "executive", ("HO",)), sample_params(q, as_of), settings=sample_settings(q))
    assert len(df.columns) > 0


def _org_columns(df):
    return [c for c in df.columns if c == "org_id" or c.endswith("_org_id")]


def test_overview_figures_equal_an_independent_computation(wh, as_of):
    start, end = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
    kpi = wh.run(
        "overview_kpis",
        Scope("t", "branch_head", ("R01",)),
        {
            "org_id": "R01B02",
            "start": start,
            "end": end,
            "prev_start": dt.date(2026, 9, 1),
            "prev_end": dt.date(2026, 9, 30),
        },
    ).set_index("metric")
    events = wh.sql("select * from events where org_id like 'R01B02%'")
    day = pd.to_datetime(events.event_date)
    active = events[(day >= pd.Timestamp(start)) & (day <= pd.Timestamp(end))]
    assert kpi.loc["active_customers", "current_value"] == active.customer_id.dropna().nunique()
    assert kpi.loc["actions", "current_value"] == (active.stage == "A").sum()
    bal = wh.sql(
        "select * from balances_daily where org_id like 'R01B02%' and balance_date = date '2026-10-31'"
    )
    assert kpi.loc["deposits", "current_value"] == pytest.approx(bal[bal.category == "deposit"].balance.sum())
    assert kpi.loc["aum", "current_value"] == pytest.approx(bal[bal.category != "loan"].balance.sum())
    cust = wh.sql("select * from customers where org_id like 'R01B02%'")
    opened = pd.to_datetime(cust.opened_date)
    assert (
        kpi.loc["new_customers", "current_value"]
        == ((opened >= pd.Timestamp(start)) & (opened <= pd.Timestamp(end))).sum()
    )


@pytest.fixture(scope="module")
def all_orgs(wh):
    return wh.sql("select org_id, parent_id, path from orgs order by org_id")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_scoped_query_returns_a_row_outside_the_users_subtree(wh, as_of, all_orgs, data):
    nodes = data.draw(st.lists(st.sampled_from(list(all_orgs.org_id)), min_size=1, max_size=3, unique=True))
    scope = Scope("h", "branch_head", tuple(nodes))
    visible = set(all_orgs[all_orgs.path.apply(lambda p: any(f"/{n}/" in p for n in nodes))].org_id)
    target = data.draw(st.sampled_from(list(all_orgs.org_id)))
    for name, q in queries.catalogue().items():
        if q.scope == "none":
            continue
        params = sample_params(q, as_of)
        for p in q.params:
            if p.type == "org":
                params[p.name] = target
        if any(p.type == "org" for p in q.params) and target not in visible:
            with pytest.raises(ScopeError):
                wh.run(name, scope, params, settings=sample_settings(q))
            continue
        df = wh.run(name, scope, params, settings=sample_settings(q))
        if (
            q.scope == "peers"
        ):  # rankings: rows outside the subtree only for true siblings, only ranking columns
            parents = set(all_orgs[all_orgs.org_id.isin(nodes)].parent_id.dropna())
            siblings = set(all_orgs[all_orgs.parent_id.isin(parents)].org_id) - visible
            peer_rows = df[~df.org_id.isin(visible)]
            assert set(peer_rows.org_id) <= siblings, (name, nodes)
            hidden = [c for c in df.columns if c not in PEER_COLUMNS]
            assert peer_rows[hidden].isna().all().all(), (name, nodes)
            df = df[df.org_id.isin(visible)]
        for col in _org_columns(df):
            assert set(df[col].dropna()) <= visible, (name, nodes, col)


def test_a_user_without_scope_gets_nothing(wh, as_of):
    nobody = Scope("n", "branch_head", ())
    for name, q in queries.catalogue().items():
        if q.scope == "none":
            continue
        params = sample_params(q, as_of)
        if any(p.type == "org" for p in q.params):
            with pytest.raises(ScopeError):
                wh.run(name, nobody, params, settings=sample_settings(q))
        else:
            assert wh.run(name, nobody, params, settings=sample_settings(q)).empty, name


def test_bad_parameters_are_refused_with_their_name(wh):
    s = Scope("t", "executive", ("HO",))
    with pytest.raises(QueryError, match="unknown query 'nope'"):
        wh.run("nope", s, {})
    with pytest.raises(QueryError, match="has no parameter 'colour'"):
        wh.run("org_tree", s, {"colour": "red"})
    with pytest.raises(QueryError, match="'start' must be a date"):
        wh.run(
            "overview_kpis",
            s,
            {
                "org_id": "HO",
                "start": "yesterday",
                "end": "2026-01-01",
                "prev_start": "2026-01-01",
                "prev_end": "2026-01-01",
            },
        )
    with pytest.raises(QueryError, match="is not an org id"):
        wh.run(
            "overview_kpis",
            s,
            {
                "org_id": "R01' or '1'='1",
                "start": "2026-01-01",
                "end": "2026-01-01",
                "prev_start": "2026-01-01",
                "prev_end": "2026-01-01",
            },
        )


def test_a_query_widened_to_its_scope_and_rows_is_the_query_assembled_at_that_size():
    """`render` assembles a query once and repeats the marks of the scope's nodes and bound rows in its
    text; that must give, character for character, what assembling it at that size gives, in every engine."""
    for name, q in queries.catalogue().items():
        rows = (0, 4) if layer.bound_rows_spec(name) else (0,)
        engines = ("duckdb", "postgres", "spark") if q.scope == "peers" or len(rows) > 1 else ("duckdb",)
        for dialect in engines:
            for scope_size in (0, 3):
                for n in rows:
                    widened = layer.render(name, scope_size, dialect, n)
                    whole = layer._assemble(name, scope_size, dialect, n)
                    assert widened == whole, (name, dialect, scope_size, n)


def test_the_trees_shape_is_remembered_until_the_warehouse_is_written(bank, tmp_path):
    """`Warehouse.tree` answers the scorecard's tier once per version of the file: a caller's change to its
    copy stays its own, and a tree imported again (the file written) is asked afresh."""
    import shutil

    import duckdb

    path = tmp_path / "tree.duckdb"
    shutil.copy(bank / "warehouse.duckdb", path)
    w = layer.Warehouse(str(path))
    text = "select org_id from orgs where level = :level order by org_id"
    first = w.tree(text, {"level": 1})
    expected = sorted(w.sql("select org_id from orgs where level = 1").org_id)
    assert list(first.org_id) == expected and len(expected) > 1
    first.loc[0, "org_id"] = "changed"
    assert list(w.tree(text, {"level": 1}).org_id) == expected
    w.engine.dispose()
    con = duckdb.connect(str(path))
    con.execute("update orgs set level = 9 where org_id = ?", [expected[0]])
    con.execute("checkpoint")
    con.close()
    assert list(w.tree(text, {"level": 1}).org_id) == expected[1:]
