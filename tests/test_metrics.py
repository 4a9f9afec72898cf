"""The metric dictionary: defined once, complete, and its figures equal to an
independent pandas computation.
"""

import datetime as dt

import pandas as pd
import pytest

from cockpit.core import i18n
from cockpit.domain import metrics
from cockpit.warehouse import queries
from cockpit.warehouse.layer import Scope

EXEC = Scope("t", "executive", ("HO",))
START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 31)


def test_every_metric_has_names_definitions_a_query_and_valid_kinds():
    assert metrics.all(), "the dictionary is empty"
    for m in metrics.all():
        assert m.query in queries.catalogue(), m.id
        assert (
            m.unit in metrics.UNITS
            and m.direction in metrics.DIRECTIONS
            and m.aggregation in metrics.AGGREGATIONS
        )
        for lang in i18n.LANGS:
            assert m.name(lang).strip() and m.definition(lang).strip(), (m.id, lang)
    assert metrics.get("deposits").is_stock and not metrics.get("sales").is_stock
    assert not metrics.get("complaint_rate").higher_is_better


def test_an_unknown_metric_is_refused_with_its_name():
    with pytest.raises(metrics.MetricError, match="unknown metric 'profit'"):
        metrics.get("profit")


def test_the_query_returns_every_metric_with_the_aggregation_the_dictionary_declares(wh):
    df = wh.run("metric_values", EXEC, {"start": START, "end": END, "parent": "HO"})
    declared = {m.id: m.aggregation for m in metrics.all()}
    returned = dict(zip(df.metric, df.aggregation))
    assert returned == declared


@pytest.fixture(scope="module")
def raw(wh):
    """The R01B02 subtree's raw rows, read directly (independent of the named query)."""

    def subtree(table):
        return wh.sql(
            f"select t.* from {table} t join org_closure c on c.descendant_id = t.org_id where "
            f"c.ancestor_id = 'R01B02'"
        )

    return {
        t: subtree(t)
        for t in (
            "balances_daily",
            "events",
            "customers",
            "referrals",
            "service_records",
            "lifecycle_changes",
        )
    }


def _between(col, start, end):
    d = pd.to_datetime(col).dt.date
    return (d >= start) & (d <= end)


def test_window_figures_equal_an_independent_pandas_computation(wh, raw):
    got = wh.run(
        "metric_values", Scope("h", "branch_head", ("R01",)), {"start": START, "end": END, "parent": "R01B02"}
    )
    got = got[got.org_id == "R01B02"].set_index("metric")["value"]
    bal = raw["balances_daily"]
    on = lambda day: bal[pd.to_datetime(bal.balance_date).dt.date == day]  # noqa: E731
    end_bal, year_ago = on(END), on(dt.date(2025, 10, 31))
    ev = raw["events"][_between(raw["events"].event_date, START, END)]
    cust = raw["customers"][pd.to_datetime(raw["customers"].opened_date).dt.date <= END]
    refs = raw["referrals"][_between(raw["referrals"].created_at, START, END)]
    svc = raw["service_records"][_between(raw["service_records"].record_date, START, END)]
    ups = raw["lifecycle_changes"][_between(raw["lifecycle_changes"].change_date, START, END)]
    late = refs.followed_up_at.isna() | (
        refs.followed_up_at > refs.created_at + pd.to_timedelta(refs.sla_hours, unit="h")
    )
    dep = end_bal[end_bal.category == "deposit"].balance.sum()
    expected = {
        "deposits": dep,
        "aum": end_bal[end_bal.category != "loan"].balance.sum(),
        "deposit_growth": dep / year_ago[year_ago.category == "deposit"].balance.sum() - 1,
        "sales": ev.amount.sum(),
        "fee_income": ev.fee_income.sum(),
        "actions": (ev.stage == "A").sum(),
        "active_customers": ev.customer_id.dropna().nunique(),
        "active_ratio": ev.customer_id.dropna().nunique() / len(cust),
        "new_customers": _between(cust.opened_date, START, END).sum(),
        "unified_id_share": cust.unified_id.mean(),
        "upgrades": ups.to_state.isin(["growing", "mature", "won_back"]).sum(),
        "referral_conversion": (refs.outcome == "converted").mean(),
        "sla_breach_rate": late.mean(),
        "satisfaction": svc.satisfaction.dropna().mean(),
        "response_seconds": svc.response_seconds.mean(),
        "complaint_rate": svc.complaint.mean(),
    }
    for metric, value in expected.items():
        assert got[metric] == pytest.approx(float(value), rel=1e-9, abs=1e-9), metric


def test_the_daily_grain_is_cumulative_and_ends_at_the_window_figure(wh):
    window = wh.run("metric_values", EXEC, {"start": START, "end": END, "parent": "R02"})
    daily = wh.run("metric_values", EXEC, {"start": START, "end": END, "parent": "R02", "grain": "day"})
    assert set(daily.org_id) == {"R02"}
    for m in ("sales", "actions", "active_customers", "deposits", "complaint_rate"):
        series = daily[daily.metric == m].sort_values("day")
        assert len(series) == (END - START).days + 1
        last = window[(window.org_id == "R02") & (window.metric == m)].value.iloc[0]
        assert series.value.iloc[-1] == pytest.approx(last, nan_ok=True), m
        if metrics.get(m).aggregation in ("sum", "distinct"):
            assert series.value.is_monotonic_increasing, m


def test_a_branch_head_gets_no_figures_outside_the_subtree(wh):
    df = wh.run("metric_values", Scope("h", "branch_head", ("R02",)), {"start": START, "end": END})
    assert set(df.org_id) and all(o.startswith("R02") for o in df.org_id)
    assert wh.run(
        "metric_values", Scope("h", "branch_head", ("R02",)), {"start": START, "end": END, "parent": "R01"}
    ).empty


def test_the_overview_tiles_explain_each_metric_with_its_dictionary_definition(app):
    at = app("exec")
    assert not at.exception
    helps = {m.label: m.help for m in at.metric}
    for mid in ("aum", "deposits", "new_customers", "active_customers", "actions"):
        m = metrics.get(mid)
        assert helps.get(m.name("en")) == m.definition("en"), mid
