"""Operating targets: achievement, working-day time progress, forecast,
status, the page, Excel import/export.
"""

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest

from cockpit.core import calendar
from cockpit.core.calendar import Progress
from cockpit.core.periods import Period
from cockpit.domain import status, targets
from cockpit.ops import targets_io
from cockpit.warehouse.layer import Scope, open_warehouse
from seed.demo import storylines as sl

EXEC = Scope("t", "executive", ("HO",))


@pytest.fixture(scope="module")
def cal(wh):
    return wh.run("calendar_days", EXEC, {"start": dt.date(2024, 1, 1), "end": dt.date(2027, 12, 31)})


def _independent_progress(cal, start, end, as_of):
    """Working days by hand: the calendar table's flag, Monday-Friday where the table has no row."""
    table = dict(zip(pd.to_datetime(cal.cal_date).dt.date, cal.is_workday))
    days = pd.date_range(start, end).date
    work = [d for d in days if table.get(d, d.weekday() < 5)]
    return len(work), sum(d <= as_of for d in work)


@pytest.mark.parametrize(
    "label,as_of",
    [
        ("2026-11", dt.date(2026, 11, 20)),  # the demo's as-of date, mid-month
        ("2026-10", dt.date(2026, 10, 7)),  # inside the National Day holiday: no working day yet
        ("2026-10", dt.date(2026, 10, 31)),  # month end
        ("2026Q3", dt.date(2026, 9, 30)),  # quarter end: ended
        ("2026Q4", dt.date(2026, 9, 30)),  # the next quarter: not yet started
        ("2025", dt.date(2025, 12, 31)),  # year end
        ("2026", dt.date(2026, 1, 1)),  # New Year's Day: a holiday
        ("2024-02", dt.date(2024, 2, 29)),  # leap day, from the calendar table
        ("2028-02", dt.date(2028, 2, 28)),  # leap year beyond the table: Monday-Friday fallback
        ("2025", dt.date(2027, 6, 1)),  # a period long ended
    ],
)
def test_time_progress_counts_working_days_like_an_independent_count(cal, label, as_of):
    p = Period.parse(label, as_of)
    total, elapsed = _independent_progress(cal, p.start, p.end, as_of)
    got = calendar.progress(cal, p)
    assert (got.total, got.elapsed) == (total, elapsed)
    assert got.ratio == pytest.approx(elapsed / total)


def test_time_progress_edges_not_started_ended_and_leap_day(cal):
    assert calendar.progress(cal, Period.parse("2026Q4", dt.date(2026, 9, 30))).not_started
    assert calendar.progress(cal, Period.parse("2026Q3", dt.date(2026, 9, 30))).ended
    feb = Period.parse("2028-02", dt.date(2028, 2, 29))
    assert (
        calendar.progress(cal, feb).elapsed
        == np.busday_count("2028-02-01", "2028-03-01")
        == calendar.progress(cal, feb).total
    )
    before_leap = calendar.progress(cal, Period.parse("2024-02", dt.date(2024, 2, 28)))
    assert (
        calendar.progress(cal, Period.parse("2024-02", dt.date(2024, 2, 29))).elapsed
        == before_leap.elapsed + 1
    )
    # the National Day week holds no working day, a make-up Saturday does
    assert not calendar.workdays(cal, dt.date(2026, 10, 1), dt.date(2026, 10, 7))
    assert calendar.workdays(cal, dt.date(2026, 10, 10), dt.date(2026, 10, 10)) == [dt.date(2026, 10, 10)]


def _frames(wh, scope, p, org):
    return {
        k: wh.run("metric_values", scope, {"start": a, "end": b, "parent": org})
        for k, (a, b) in targets.windows(p).items()
    }


def test_achievement_equals_actual_over_target_computed_independently(wh, cal, as_of):
    p = Period.parse(f"{as_of:%Y-%m}", as_of)
    prog = calendar.progress(cal, p)
    tg = wh.run("target_values", EXEC, {"period_type": "month", "period_start": p.start, "parent": "R02"})
    view = targets.node_view(_frames(wh, EXEC, p, "R02"), tg, "R02", "sales", prog)
    sales = wh.sql(
        "select sum(e.amount) as s from events e join org_closure c on c.descendant_id = e.org_id "
        "where c.ancestor_id = 'R02' and e.event_date between :a and :b",
        {"a": p.start, "b": as_of},
    ).s.iloc[0]
    target = wh.sql(
        "select target_value from targets where org_id = 'R02' and metric = 'sales' and "
        "period_type = 'month' "
        "and period_start = :s",
        {"s": p.start},
    ).target_value.iloc[0]
    assert view.actual == pytest.approx(sales) and view.target == pytest.approx(target)
    assert view.achievement == pytest.approx(sales / target)
    assert view.status == status.status(sales / target, prog.ratio)


@pytest.mark.parametrize("target", [0.0, None, -5.0, float("nan")])
def test_a_zero_or_missing_target_shows_no_target_never_infinity(target):
    prog = Progress(21, 10)
    view = targets.evaluate("sales", 1000.0, target, prog)
    assert view.achievement is None and view.pace is None and view.status == "no_target"
    assert view.days_ahead is None and view.needed_per_day is None
    table = pd.DataFrame(
        [
            {
                "name_en": "X",
                "metric": "sales",
                "actual": 1000.0,
                "target": target,
                "achievement": view.achievement,
                "pace": view.pace,
                "status": view.status,
                "days_ahead": view.days_ahead,
                "mom": None,
                "yoy": None,
            }
        ]
    )
    shown = targets.for_display(table, "en", {"no_target": "No target"}, "name_en").iloc[0]
    assert shown.status == "No target" and shown.achievement == "—"
    assert "inf" not in " ".join(map(str, shown.values)).lower()


def test_a_metric_without_a_target_row_shows_no_target(wh, cal, as_of):
    p = Period.parse(f"{as_of:%Y-%m}", as_of)
    prog = calendar.progress(cal, p)
    no_targets = pd.DataFrame(columns=["org_id", "metric", "target_value"])
    rows = targets.table(_frames(wh, EXEC, p, "R02"), no_targets, ["R02"], ["deposits", "sales"], prog)
    assert list(rows.status) == ["no_target", "no_target"]
    assert targets.targeted_metrics(no_targets) == []


@pytest.mark.parametrize(
    "ach,progress,expected",
    [
        (0.50, 0.50, "green"),
        (0.46, 0.50, "amber"),
        (0.45, 0.50, "amber"),
        (0.44, 0.50, "red"),
        (1.05, 0.30, "green"),
        (0.99, 1.00, "amber"),
        (1.00, 1.00, "green"),
        (0.20, 0.00, "not_started"),
        (None, 0.5, "no_target"),
    ],
)
def test_status_rules(ach, progress, expected):
    assert status.status(ach, progress) == expected


def _weekday_calendar(start, days):
    d = pd.date_range(start, periods=days).date
    return pd.DataFrame({"cal_date": d, "is_workday": [x.weekday() < 5 for x in d]})


def test_forecast_on_a_known_series_matches_the_run_rate_and_its_range():
    cal = _weekday_calendar(dt.date(2026, 6, 1), 30)  # June 2026: 22 weekdays
    p = Period("month", dt.date(2026, 6, 1), dt.date(2026, 6, 12))
    prog = calendar.progress(cal, p)
    work = calendar.workdays(cal, p.start, p.to_date)
    steps = np.array([10, 12, 8, 11, 9, 10, 14, 6, 10, 10], dtype=float)[: len(work)]
    series = pd.DataFrame({"day": work, "value": steps.cumsum()})
    fc = targets.forecast(series, cal, prog)
    remaining = 22 - len(work)
    assert prog.remaining == remaining
    assert fc.value == pytest.approx(steps.sum() + steps.mean() * remaining)
    half = 1.2816 * steps.std(ddof=1) * np.sqrt(remaining)
    assert (fc.low, fc.high) == (pytest.approx(fc.value - half), pytest.approx(fc.value + half))
    steady = pd.DataFrame({"day": work, "value": np.arange(1, len(work) + 1) * 5.0})
    flat = targets.forecast(steady, cal, prog)
    assert flat.value == pytest.approx(5.0 * 22) and flat.low == pytest.approx(flat.high)


def test_forecast_is_hidden_in_the_first_working_days_and_after_the_end():
    cal = _weekday_calendar(dt.date(2026, 6, 1), 30)
    early = Period("month", dt.date(2026, 6, 1), dt.date(2026, 6, 4))
    series = pd.DataFrame(
        {"day": calendar.workdays(cal, early.start, early.to_date), "value": [1.0, 2.0, 3.0, 4.0]}
    )
    assert targets.forecast(series, cal, calendar.progress(cal, early)) is None
    done = targets.evaluate("sales", 10.0, 20.0, Progress(22, 22), fc=targets.Forecast(1, 0, 2))
    assert done.forecast is None


def test_the_lagging_region_is_red_on_deposits_in_every_period_kind(wh, cal, as_of):
    for kind in ("month", "quarter", "year"):
        p = Period.containing(kind, as_of, as_of)
        prog = calendar.progress(cal, p)
        tg = wh.run("target_values", EXEC, {"period_type": kind, "period_start": p.start, "parent": "HO"})
        frames = _frames(wh, EXEC, p, "HO")
        view = targets.node_view(frames, tg, sl.LAGGING_REGION, "deposits", prog)
        # independently: the planned increase since the opening day against the increase made
        bal = (
            wh.sql(
                "select b.balance_date, sum(b.balance) as v from balances_daily b join "
                "org_closure c on c.descendant_id = b.org_id "
                "where c.ancestor_id = :o and b.category = 'deposit' and b.balance_date in (:a, "
                ":b) group by 1",
                {"o": sl.LAGGING_REGION, "a": p.start - dt.timedelta(days=1), "b": as_of},
            )
            .set_index("balance_date")
            .v
        )
        opening, now = bal[pd.Timestamp(p.start - dt.timedelta(days=1)).date()], bal[as_of]
        target = tg[(tg.org_id == sl.LAGGING_REGION) & (tg.metric == "deposits")].target_value.iloc[0]
        assert view.pace == pytest.approx((now - opening) / (target - opening))
        assert view.status == "red", kind
        assert view.days_ahead < 0


def test_targets_page_runs_for_each_role(app):
    for user in ("exec", "head_r02", "manager1"):
        at = app(user)
        at.switch_page("pages/targets.py").run()
        assert not at.exception, user
        assert not at.error, (user, [e.value for e in at.error])
        assert at.metric, user


def test_drilling_into_a_child_moves_the_org_and_the_breadcrumb_leads_back(app, wh):
    """The buttons move the sidebar org (the entrypoint reads it on the next run); only the user's own
    subtree.
    """
    at = app("head_r02")
    at.switch_page("pages/targets.py").run()
    drills = [b for b in at.button if b.key and b.key.startswith("tg_drill_")]
    assert drills and all(b.key.startswith("tg_drill_R02") for b in drills)
    drills[0].click().run()
    assert not at.exception
    assert at.session_state["f_org"] == drills[0].key.removeprefix("tg_drill_")
    below = app("head_r02", state={"f_org": "R02B01"})
    below.switch_page("pages/targets.py").run()
    assert below.session_state["_filters"]["org_id"] == "R02B01"
    crumbs = [b for b in below.button if "crumb" in b.key]
    assert [b.key for b in crumbs] == ["tg_crumb_R02", "tg_crumb_R02B01"]
    names = wh.sql("select org_id, name_en from orgs where org_id in ('R02', 'R02B01')")
    assert [b.label for b in crumbs] == [dict(zip(names.org_id, names.name_en))[o] for o in ("R02", "R02B01")]
    below.button(key="tg_crumb_R02").click().run()
    assert below.session_state["f_org"] == "R02"


# ---- targets as Excel
# ------------------------------------------------------------------------------------------


@pytest.fixture
def writable(bank, tmp_path):
    """A copy of the demo warehouse that an import may change."""
    path = tmp_path / "copy.duckdb"
    shutil.copy(bank / "warehouse.duckdb", path)
    return str(path)


def _targets_checksum(target):
    return (
        open_warehouse(target)
        .sql("select count(*) as n, sum(target_value) as s from targets")
        .iloc[0]
        .tolist()
    )


def test_export_then_import_round_trips_and_replaces_the_same_keys(writable):
    wh = open_warehouse(writable)
    rows = wh.run("target_list", EXEC, {"period_type": "quarter", "year": 2026})
    assert len(rows) and set(rows.period_type) == {"quarter"}
    book = targets_io.read_excel(targets_io.export_excel(rows))
    book.loc[0, "target_value"] = 4242.0
    before = _targets_checksum(writable)
    assert targets_io.import_excel(targets_io.export_excel(book), writable, wh.visible_orgs(EXEC)) == len(
        rows
    )
    after = _targets_checksum(writable)
    assert after[0] == before[0]
    key = book.iloc[0]
    got = wh.sql(
        "select target_value from targets where org_id = :o and metric = :m and period_type = "
        "'quarter' and period_start = :s",
        {"o": key.org_id, "m": key.metric, "s": pd.Timestamp(key.period_start).date()},
    )
    assert got.target_value.tolist() == [4242.0]


def test_import_rejects_each_bad_row_with_its_row_number_and_applies_nothing(writable):
    wh = open_warehouse(writable)
    good = wh.run("target_list", EXEC, {"period_type": "month", "year": 2026}).head(6)
    book = targets_io.read_excel(targets_io.export_excel(good))
    book.loc[1, "org_id"] = "R99"  # Excel row 3
    book.loc[2, "metric"] = "profit"  # row 4
    book.loc[3, "target_value"] = -10  # row 5
    assert book.loc[4, "metric"] == "new_customers"
    book.loc[4, "target_value"] = 2.5  # row 6: a count target is whole
    book = pd.concat([book, book.iloc[[0]]], ignore_index=True)  # row 8 duplicates row 2
    before = _targets_checksum(writable)
    with pytest.raises(targets_io.TargetImportError) as err:
        targets_io.import_excel(targets_io.export_excel(book), writable, wh.visible_orgs(EXEC))
    errors = err.value.errors
    assert errors == [
        "row 3: unknown org 'R99'",
        "row 4: unknown metric 'profit'",
        "row 5: negative target -10",
        "row 6: new_customers counts whole customers or actions: 2.5 is not a whole number",
        "row 8: duplicate of row 2",
    ]
    assert "nothing was imported" in str(err.value)
    assert _targets_checksum(writable) == before


def test_import_refuses_a_bad_period_a_missing_column_and_a_non_duckdb_warehouse(writable):
    orgs = open_warehouse(writable).visible_orgs(EXEC)
    bad = pd.DataFrame(
        [
            {
                "org_id": "R01",
                "metric": "sales",
                "period_type": "month",
                "period_start": "2026-11-15",
                "target_value": 1,
            },
            {
                "org_id": "R01",
                "metric": "sales",
                "period_type": "week",
                "period_start": "2026-11-01",
                "target_value": "x",
            },
        ]
    )
    errors = targets_io.validate(bad, orgs).errors
    assert errors[0] == "row 2: period_start 2026-11-15 is not the first day of a month"
    assert errors[1].startswith("row 3: period_type must be one of") and "not a number" in errors[1]
    assert (
        "missing column(s) target_value"
        in targets_io.validate(bad.drop(columns="target_value"), orgs).errors[0]
    )
    with pytest.raises(targets_io.WarehouseNotWritable, match="only into a DuckDB file"):
        targets_io.apply("postgresql+psycopg://app@127.0.0.1:1/cockpit", bad)


def test_cli_exports_and_imports_targets_and_only_admins_import(writable, tmp_path, capsys, monkeypatch):
    from cockpit.ops import cli

    book = tmp_path / "t.xlsx"
    assert (
        cli.main(
            ["--db", writable, "targets", "export", str(book), "--year", "2026", "--period-type", "year"]
        )
        == 0
    )
    assert "targets written" in capsys.readouterr().out
    assert cli.main(["--db", writable, "targets", "import", str(book), "--as", "exec"]) == 2
    assert "only an admin may import" in capsys.readouterr().err
    assert cli.main(["--db", writable, "targets", "import", str(book)]) == 0
    assert "targets imported" in capsys.readouterr().out


def test_admin_targets_page_runs(app):
    at = app("admin")
    at.switch_page("pages/admin_targets.py").run()
    assert not at.exception
    assert at.selectbox(key="at_kind") is not None


def test_trend_dates_read_as_numbers_for_chinese_readers():
    import re

    from cockpit.charts import targets as charts

    series = pd.DataFrame({"day": pd.date_range("2026-11-02", periods=5), "value": [1.0, 2, 3, 4, 5]})
    labels = {k: k for k in ("actual", "pace", "target", "forecast", "title")}
    zh = charts.trend(series, pd.DataFrame(columns=["day", "value"]), 10.0, labels, lang="zh").layout.xaxis
    assert re.fullmatch(r"[\d-]+", series.day[0].strftime(zh.tickformat))
    assert (
        charts.trend(series, pd.DataFrame(columns=["day", "value"]), 10.0, labels).layout.xaxis.tickformat
        is None
    )


def test_a_small_nodes_count_target_is_whole_and_reads_whole(wh):
    """A count target is a whole number (the demo rounds a node's share up; the workbook refuses a
    fraction), so the smallest manager's target reads as what it is: 1 new customer, not 0.5."""
    from cockpit.core import i18n

    small = wh.sql("""select min(t.target_value) as v from targets t join orgs o on o.org_id = t.org_id
                      where o.level = 4 and t.metric = 'new_customers'""").v.iloc[0]
    assert small >= 1 and small == round(small)
    row = {"name_zh": "客户经理", "metric": "new_customers", "actual": 0.0, "target": small}
    row |= {"achievement": 0.0, "pace": 0.0, "status": "red", "days_ahead": None, "mom": None, "yoy": None}
    shown = targets.for_display(pd.DataFrame([row]), "zh", {"red": "落后"}, "name_zh")
    assert shown.target.iloc[0] == str(int(small)) and shown.actual.iloc[0] == "0"
    assert (
        i18n.count(1234.0, "zh") == "1,234"
        and i18n.count(12.4, "en") == "12"
        and i18n.count(0.46, "en") == "0"
    )


def test_a_balance_target_near_the_opening_balance_is_judged_on_the_balance_not_on_a_tiny_increase():
    prog = Progress(22, 15)  # 15 of 22 working days
    opening = 100.0
    hold = opening * (
        1 + targets.MIN_PLANNED_INCREASE / 5
    )  # a planned increase of a fifth of the materiality floor
    near = targets.evaluate("deposits", 99.5, hold, prog, base=opening)
    assert near.pace == pytest.approx(99.5 / hold)  # not (99.5 - 100) / (hold - 100), which is -250%
    assert near.status == status.status(99.5 / hold, prog.ratio) == "green"
    grow = opening * (
        1 + 5 * targets.MIN_PLANNED_INCREASE
    )  # a material planned increase is still judged as an increase
    far = targets.evaluate("deposits", 99.5, grow, prog, base=opening)
    assert far.pace == pytest.approx((99.5 - opening) / (grow - opening)) and far.status == "red"
    below = targets.evaluate(
        "deposits", 99.5, 95.0, prog, base=opening
    )  # a target below the opening: hold it
    assert below.pace == pytest.approx(99.5 / 95.0)
    flow = targets.evaluate("sales", 10.0, 20.0, prog, base=opening)  # flows never use the opening
    assert flow.pace == pytest.approx(0.5)


def test_money_trend_reads_in_wan_or_yi_for_chinese_readers():
    from cockpit.charts import targets as charts

    series = pd.DataFrame({"day": pd.date_range("2026-11-02", periods=3), "value": [5.1e7, 5.2e7, 5.3e7]})
    pace = pd.DataFrame({"day": series.day, "value": [5.0e7, 5.5e7, 6.0e7]})
    labels = {k: k for k in ("actual", "pace", "target", "forecast", "title")}
    fc = targets.Forecast(5.4e7, 5.2e7, 5.6e7)
    zh = charts.trend(series, pace, 5.95e7, labels, fc, dt.date(2026, 11, 30), lang="zh", money=True)
    assert list(zh.data[0].y) == pytest.approx([5100, 5200, 5300]) and list(zh.data[1].y) == pytest.approx(
        [5000, 5500, 6000]
    )
    assert zh.layout.shapes[0].y0 == pytest.approx(5950) and zh.data[2].y[0] == pytest.approx(5400)
    assert "万元" in zh.layout.yaxis.title.text
    big = charts.trend(series.assign(value=series.value * 10), pace, 5.95e8, labels, lang="zh", money=True)
    assert list(big.data[0].y) == pytest.approx([5.1, 5.2, 5.3]) and "亿元" in big.layout.yaxis.title.text
    en = charts.trend(series, pace, 5.95e7, labels, fc, dt.date(2026, 11, 30), lang="en", money=True)
    assert list(en.data[0].y) == pytest.approx(list(series.value)) and not en.layout.yaxis.title.text
    count = charts.trend(series, pace, 5.95e7, labels, lang="zh")  # a count stays as it is
    assert list(count.data[0].y) == pytest.approx(list(series.value))
