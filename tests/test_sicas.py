"""The SICAS funnel: counts and timings equal an independent computation, edge cases of the ordering rule,
drop-off lists that stay in scope and mask ids, the planted storylines, and the page itself."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import scope_of

from cockpit.display import downloads
from cockpit.domain import sicas
from cockpit.warehouse import schema
from cockpit.warehouse.layer import Scope, Warehouse
from seed.demo import storylines as sl

HO = Scope("t", "executive", ("HO",))


# ---------------------------------------------------------------- an independent implementation of the rule
def pandas_funnel(
    events: pd.DataFrame, start: dt.date, end: dt.date
) -> tuple[dict[str, int], dict[str, list[float]]]:
    """Counts per stage and hours from the previous stage, by walking each customer's events in time order."""
    day = pd.to_datetime(events.event_date)
    ev = events[(day >= pd.Timestamp(start)) & (day <= pd.Timestamp(end)) & events.customer_id.notna()]
    ev = ev.sort_values(["event_ts", "event_id"])
    counts = dict.fromkeys(sicas.CODES, 0)
    hours: dict[str, list[float]] = {c: [] for c in sicas.CODES}
    for _, rows in ev.groupby("customer_id"):
        prev = None
        for code in sicas.CODES:
            hit = rows[(rows.stage == code) & ((rows.event_ts >= prev) if prev is not None else True)]
            if hit.empty:
                break
            t = hit.event_ts.iloc[0]
            counts[code] += 1
            if prev is not None:
                hours[code].append((t - prev).total_seconds() / 3600)
            prev = t
    return counts, hours


def events_of(wh, org: str) -> pd.DataFrame:
    return wh.sql(
        """select e.* from events e join org_closure c on c.descendant_id = e.org_id
                     where c.ancestor_id = :o""",
        {"o": org},
    )


@pytest.mark.parametrize(
    "org,start,end",
    [
        ("HO", dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
        ("R01B02", dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        ("R02", dt.date(2026, 1, 1), dt.date(2026, 11, 20)),
    ],
)
def test_funnel_counts_and_timings_equal_an_independent_pandas_computation(wh, org, start, end):
    got = wh.run("sicas_funnel", HO, {"org_id": org, "start": start, "end": end}).set_index("stage")
    counts, hours = pandas_funnel(events_of(wh, org), start, end)
    assert counts["S"] > 0 and counts["A"] > 0
    for code in sicas.CODES:
        assert got.loc[code, "customers"] == counts[code], code
        assert got.loc[code, "pct_first"] == pytest.approx(counts[code] / counts["S"])
        if hours[code]:
            assert got.loc[code, "median_hours"] == pytest.approx(pd.Series(hours[code]).median(), rel=1e-6)
            assert got.loc[code, "p75_hours"] == pytest.approx(
                pd.Series(hours[code]).quantile(0.75), rel=1e-6
            )
    assert list(got.customers) == sorted(got.customers, reverse=True)


def test_breakdown_slices_add_up_to_the_total_and_respect_the_channel_group(wh):
    params = {"org_id": "HO", "start": dt.date(2026, 4, 1), "end": dt.date(2026, 9, 30)}
    total = wh.run("sicas_funnel", HO, params).set_index("stage").customers
    for by in sicas.BREAKDOWNS:
        parts = wh.run("sicas_funnel", HO, {**params, "by": by}).groupby("stage").customers.sum()
        assert parts.to_dict() == total.to_dict(), by
    groups = wh.run("sicas_funnel", HO, {**params, "by": "channel_group"})
    online = wh.run("sicas_funnel", HO, {**params, "channel_group": "online"}).set_index("stage").customers
    assert online.to_dict() == groups[groups.slice == "online"].set_index("stage").customers.to_dict()


def test_every_event_type_in_the_warehouse_counts_at_the_stage_the_definition_names(wh):
    pairs = wh.sql("select distinct stage, event_type from events")
    for row in pairs.itertuples():
        assert sicas.stage_of_event_type(row.event_type) == row.stage, row.event_type


# ---------------------------------------------------------------- hand-made edge cases
def hand_made(path: Path) -> duckdb.DuckDBPyConnection:
    """A new DuckDB file with the real schema, a head office HO with one branch B1, and two channels."""
    con = duckdb.connect(str(path))
    for table in schema.tables():
        con.execute(schema.ddl(table))
    con.execute(
        "insert into orgs values ('HO', null, 0, '总行', 'Head office', '/HO/'), ('B1', 'HO', 1, "
        "'分行', 'Branch', '/HO/B1/')"
    )
    con.execute("insert into org_closure values ('HO','HO',0), ('B1','B1',0), ('HO','B1',1)")
    con.execute(
        "insert into channels values ('app','online','手机银行','App'), ('lobby','offline','大堂','Lobby'), "
        "('wealth_room','offline','理财室','Wealth room')"
    )
    return con


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Warehouse:
    """A warehouse with the real schema and a few hand-written journeys around
    a window of 2026-10-01..10-31.
    """
    path = Path(tmp_path_factory.mktemp("tiny")) / "tiny.duckdb"
    con = hand_made(path)
    journeys = {  # customer: [(timestamp, stage)]
        1: [
            ("2026-10-02 09:00", "S"),
            ("2026-10-02 10:00", "I"),
            ("2026-10-03 10:00", "C"),
            ("2026-10-05 10:00", "A"),
            ("2026-10-06 10:00", "H"),
        ],  # the whole way
        2: [
            ("2026-10-02 09:00", "S"),
            ("2026-10-04 09:00", "C"),
            ("2026-10-05 09:00", "A"),
        ],  # skips Interest
        3: [
            ("2026-10-02 09:00", "S"),
            ("2026-10-02 12:00", "S"),
            ("2026-10-03 09:00", "I"),
            ("2026-10-03 10:00", "I"),
            ("2026-10-04 09:00", "S"),
            ("2026-10-05 09:00", "C"),
        ],  # repeats stages
        4: [
            ("2026-09-30 23:00", "S"),
            ("2026-10-01 09:00", "I"),
            ("2026-10-02 09:00", "C"),
        ],  # Sense before the window
        5: [
            ("2026-10-30 09:00", "S"),
            ("2026-10-31 23:59", "I"),
            ("2026-11-01 00:01", "C"),
        ],  # runs past the end
        6: [("2026-10-10 09:00", "I"), ("2026-10-11 09:00", "S")],  # Interest before Sense
        7: [
            ("2026-10-12 09:00", "S"),
            ("2026-10-13 09:00", "A"),
            ("2026-10-14 09:00", "C"),
        ],  # Action before Connect
    }
    rows = []
    for cust, steps in journeys.items():
        for ts, stage in steps:
            rows.append((len(rows) + 1, ts[:10], ts, cust, "B1", "app" if cust != 2 else "lobby", stage))
    rows.append(
        (len(rows) + 1, "2026-10-02", "2026-10-02 09:00", None, "B1", "app", "S")
    )  # an unrecognised visitor
    for r in rows:
        con.execute("insert into events values (?, ?, ?, ?, ?, ?, ?, 'x', null, null, null, 0, 0)", list(r))
    con.execute(
        "insert into customers select range, 'B1', null, 'mass', 'new', 1, 0, date '2026-01-01', "
        "null, true from range(1, 8)"
    )
    con.close()
    return Warehouse(str(path))


def test_ordering_rule_on_skipped_repeated_and_edge_crossing_journeys(tiny):
    params = {"org_id": "HO", "start": dt.date(2026, 10, 1), "end": dt.date(2026, 10, 31)}
    got = tiny.run("sicas_funnel", HO, params).set_index("stage")
    # S: 1,2,3,5,6,7 (4's Sense is before the window; the anonymous visitor never counts)
    # I: 1,3,5 (2 skips it; 6's Interest came before its Sense); C: 1,3 (5's Connect is after the end);
    # A: 1 (7 acted before connecting); H: 1
    assert got.customers.to_dict() == {"S": 6, "I": 3, "C": 2, "A": 1, "H": 1}
    # Customer 3 counts once per stage, at the first Interest after the first Sense: 24 h; 1: 1 h; 5: 38h59m.
    assert got.loc["I", "median_hours"] == pytest.approx(24.0)
    assert got.loc["C", "pct_prev"] == pytest.approx(2 / 3)
    drop = tiny.run("sicas_dropoff", HO, {**params, "stage": "S"})
    assert sorted(drop.customer_id) == [2, 6, 7]
    drop_i = tiny.run("sicas_dropoff", HO, {**params, "stage": "I"})
    assert sorted(drop_i.customer_id) == [5]


# ---------------------------------------------------------------- drop-off lists: scope and masking
@pytest.mark.parametrize(
    "username,org", [("head_r02", "R02"), ("head_r01b02", "R01B02"), ("manager1", "R01B01T1M1")]
)
def test_dropoff_list_never_holds_a_customer_outside_the_users_scope(wh, username, org):
    user_scope = scope_of(username)
    visible = wh.visible_orgs(user_scope)
    params = {"org_id": org, "start": dt.date(2026, 1, 1), "end": dt.date(2026, 11, 20)}
    funnel = wh.run("sicas_funnel", user_scope, params).set_index("stage").customers
    total = 0
    for code in sicas.DROP_STAGES:
        drop = wh.run("sicas_dropoff", user_scope, {**params, "stage": code})
        home = wh.sql("select customer_id, org_id from customers").set_index("customer_id").org_id
        assert set(home.loc[list(drop.customer_id)]) <= visible
        assert set(drop.org_id) <= visible
        assert len(drop) == funnel[code] - funnel[sicas.next_stage(code)]
        total += len(drop)
    assert total > 0
    with pytest.raises(PermissionError):
        wh.run("sicas_dropoff", user_scope, {**params, "org_id": "R03"})


def test_ids_are_masked_except_a_managers_own_customers(wh):
    drop = wh.run(
        "sicas_dropoff",
        HO,
        {"org_id": "R01B01", "start": dt.date(2026, 1, 1), "end": dt.date(2026, 11, 20), "stage": "S"},
    )
    for role in ("executive", "branch_head", "admin"):
        shown = sicas.mask_dropoffs(drop, role, ("R01B01T1M1",))
        assert all("*" in c for c in shown.customer_id)
    mine = sicas.mask_dropoffs(drop, "manager", ("R01B01T1M1",))
    own = drop.manager_id == "R01B01T1M1"
    assert own.any() and (~own).any()
    assert list(mine.customer_id[own]) == [str(c) for c in drop.customer_id[own]]
    assert all("*" in c for c in mine.customer_id[~own])
    assert sicas.mask_id(1234567) == "12***67"


# ---------------------------------------------------------------- storylines
@pytest.fixture(scope="session")
def storyline_bank(tmp_path_factory) -> Warehouse:
    """The demo bank's org tree with enough events (200k) for weekly and monthly storylines to stand out of
    noise.
    """
    from seed.demo import bank as demo_bank

    path = Path(tmp_path_factory.mktemp("storylines")) / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(demo_bank.SIZES, "storyline", demo_bank.Size(3, 2, 2, 3, 20_000, 200_000))
        demo_bank.build(path, "storyline", 42)
    return Warehouse(str(path))


@pytest.mark.parametrize("bank_name", ["wh", "storyline_bank"])
def test_star_campaign_tops_the_campaign_conversion(request, bank_name):
    bank = request.getfixturevalue(bank_name)
    df = bank.run(
        "sicas_funnel",
        HO,
        {"org_id": "HO", "start": dt.date(2026, 1, 1), "end": dt.date(2026, 11, 20), "by": "campaign"},
    )
    action = df[(df.stage == "A") & (df.slice != "-")].sort_values("pct_first", ascending=False)
    assert action.slice.iloc[0] == sl.STAR_CAMPAIGN
    assert action.pct_first.iloc[0] > 1.5 * action.pct_first.iloc[1]


def test_sub_branch_worst_weekly_connect_to_action_is_the_planted_week(storyline_bank):
    end = sl.AS_OF
    weekly = storyline_bank.run(
        "sicas_weekly", HO, {"org_id": sl.DROP_SUB_BRANCH, "start": sicas.trend_start(end), "end": end}
    )
    worst = sicas.worst_week(weekly)
    assert worst == sl.DROP_WEEK_START


# ---------------------------------------------------------------- the page
@pytest.mark.parametrize("username", ["exec", "head_r02", "manager1"])
def test_sicas_page_runs_for_each_role_with_masked_or_own_ids(app, username):
    at = app(username, state={"f_kind": "year"})
    at.switch_page("pages/sicas.py").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    at.selectbox(key="sicas_by").set_value("campaign").run()
    at.selectbox(key="sicas_drop_stage").set_value("S").run()
    assert not at.exception, at.exception
    table = at.dataframe[-1].value  # the drop-off list is the last table
    ids = table.iloc[:, 0].astype(str)
    if username == "manager1":
        assert len(ids) and not any("*" in i for i in ids)  # all of a manager's scope is their own portfolio
    else:
        assert len(ids) and all("*" in i for i in ids)


def test_exports_carry_the_masked_list_in_csv_and_excel(wh):
    import io

    drop = wh.run(
        "sicas_dropoff",
        HO,
        {"org_id": "R02", "start": dt.date(2026, 1, 1), "end": dt.date(2026, 11, 20), "stage": "I"},
    )
    shown = sicas.mask_dropoffs(drop, "branch_head", ("R02",)).rename(columns={"customer_id": "客户号"})
    csv = downloads.csv_bytes(shown)
    assert csv.startswith("\ufeff".encode()) and len(
        pd.read_csv(io.BytesIO(csv), encoding="utf-8-sig")
    ) == len(drop)
    back = pd.read_excel(
        io.BytesIO(downloads.xlsx_bytes(shown, "流失名单")), sheet_name="流失名单", dtype={"客户号": str}
    )
    assert list(back["客户号"]) == list(shown["客户号"]) and all("*" in c for c in back["客户号"])


def test_previous_period_comparison_matches_both_periods(wh):
    params = {"org_id": "R01"}
    cur = wh.run("sicas_funnel", HO, {**params, "start": dt.date(2026, 10, 1), "end": dt.date(2026, 10, 20)})
    prev = wh.run("sicas_funnel", HO, {**params, "start": dt.date(2026, 9, 1), "end": dt.date(2026, 9, 20)})
    table = sicas.compare(cur, prev).set_index("stage")
    for row in prev.itertuples():
        assert table.loc[row.stage, "prev_customers"] == row.customers
        if row.customers:
            assert table.loc[row.stage, "change"] == pytest.approx(
                table.loc[row.stage, "customers"] / row.customers - 1
            )


def test_weekly_chart_marks_exactly_the_worst_week(storyline_bank):
    from cockpit.charts import sicas as charts

    weekly = storyline_bank.run(
        "sicas_weekly",
        HO,
        {"org_id": sl.DROP_SUB_BRANCH, "start": sicas.trend_start(sl.AS_OF), "end": sl.AS_OF},
    )
    fig = charts.weekly_trend(weekly, sicas.worst_week(weekly), "rate", "base")
    marked = fig.data[-1]
    assert len(marked.x) == 1 and pd.Timestamp(marked.x[0]).date() == sl.DROP_WEEK_START
    assert len(fig.data[1].x) == sicas.TREND_WEEKS


def test_the_stage_numbering_the_queries_share_is_the_definitions_order(wh):
    stages = wh.run("sicas_stages", HO, {})
    assert tuple(stages.stage) == sicas.CODES and list(stages.stage_no) == list(
        range(1, len(sicas.CODES) + 1)
    )


def test_drop_off_list_names_lifecycle_states_in_the_readers_language(app):
    from cockpit.core import i18n
    from cockpit.domain import channels

    at = app("exec", lang="zh", state={"f_kind": "year"})
    at.switch_page("pages/sicas.py").run()
    assert not at.exception, at.exception
    table = at.dataframe[-1].value
    shown = set(table[i18n.t("sicas.col.lifecycle_state", "zh")])
    assert shown and shown <= {i18n.t(f"channels.state.{s}", "zh") for s in channels.STATES}


def test_weekly_chart_dates_read_as_numbers_for_chinese_readers(wh):
    import re

    from cockpit.charts import sicas as charts

    weekly = wh.run(
        "sicas_weekly",
        HO,
        {"org_id": "HO", "start": sicas.trend_start(dt.date(2026, 11, 20)), "end": dt.date(2026, 11, 20)},
    )
    zh = charts.weekly_trend(weekly, None, "rate", "base", "zh").layout.xaxis
    for fmt in (zh.tickformat, zh.hoverformat):
        assert re.fullmatch(
            r"[\d-]+", pd.Timestamp(weekly.week_start.iloc[0]).strftime(fmt)
        )  # no "Apr", "Nov"
    assert charts.weekly_trend(weekly, None, "rate", "base", "en").layout.xaxis.tickformat is None


def test_the_drop_off_list_pages_through_exactly_the_whole_list_and_counts_it(wh, attacks):
    """Pages of DROP_PAGE rows, one after another, are the whole list in its order, each row saying how long
    the whole list is; a branch head paging another branch's list, or with a crafted offset, is refused."""
    params = {"org_id": "R01", "start": dt.date(2026, 1, 1), "end": dt.date(2026, 11, 20), "stage": "S"}
    whole = wh.run("sicas_dropoff", HO, params)
    assert len(whole) > sicas.DROP_PAGE and set(whole.listed) == {len(whole)}
    pages = [
        wh.run("sicas_dropoff", HO, {**params, "max_rows": sicas.DROP_PAGE, "offset": start})
        for start in range(0, len(whole), sicas.DROP_PAGE)
    ]
    assert all(len(p) <= sicas.DROP_PAGE for p in pages)
    assert all(set(p.listed) == {len(whole)} for p in pages)
    pd.testing.assert_frame_equal(pd.concat(pages, ignore_index=True), whole)
    head = scope_of("head_r02")
    attacks.append("sicas_dropoff page of R01 as head_r02")
    with pytest.raises(PermissionError):
        wh.run("sicas_dropoff", head, {**params, "max_rows": sicas.DROP_PAGE, "offset": 0})
    for bad in ("0; drop table events", "-1 or 1=1", "10000000"):
        attacks.append(f"drop-off offset {bad!r}")
        with pytest.raises(ValueError):
            wh.run("sicas_dropoff", HO, {**params, "offset": bad})
