"""The display layer: each unit's formatter against a computation of its own, org names told apart by
their parents exactly where they repeat, codes by name; and both reports, in both languages, read clean
(pdftotext, openpyxl): no raw id, snake_case code, None or nan, no English words in the Chinese text."""

from __future__ import annotations

import io
import re
import subprocess

import openpyxl
import pandas as pd
import pytest

from cockpit.core.periods import Period
from cockpit.display import labels, names, units
from cockpit.display.tables import Col, present
from cockpit.reports import data, excel, pdf
from tests.conftest import scope_of
from tests.rendered import problems


def test_each_unit_has_one_formatter():
    assert units.score(79.7691) == "79.8"
    assert units.count(3.3) == "3" and units.count(14359) == "14,359"
    assert units.rate(0.1234) == "12.3%" and units.rate(20.04) == "2,004.0%"
    assert units.figure(142680878.94, "money") == "1.43亿"
    assert units.figure(35239836.1, "money", "en") == "35.24M"
    for blank in (None, float("nan"), float("inf"), "None", "nan", pd.NaT):
        assert units.figure(blank, "count") == "—"
    assert units.day("2026-11-05T10:22:33") == "2026-11-05 10:22"


def test_a_sum_of_money_reads_the_same_in_a_table_cell_as_in_a_sentence():
    from cockpit.core import i18n

    for value in (5_799.11, 13113037.38, 123_456_789_012, -15_800.0):
        for lang in ("zh", "en"):
            assert units.figure(value, "money", lang) == i18n.money(value, lang), (value, lang)
    assert not hasattr(units, "money"), "a single sum has one formatter: i18n.money"


def test_a_money_column_is_written_in_one_unit_stated_in_its_header():
    df = pd.DataFrame({"aum": [35239836.1, 78500.0, None]})
    shown = present(df, [Col("aum", "money")], "zh")
    assert list(shown.columns) == ["资产余额（万元）"]
    assert list(shown.iloc[:, 0]) == ["3,523.98", "7.85", "—"]
    big = present(pd.DataFrame({"aum": [2.5e8, 4e6]}), [Col("aum", "money")], "zh")
    assert list(big.columns) == ["资产余额（亿元）"] and list(big.iloc[:, 0]) == ["2.50", "0.04"]


def test_a_readers_names_carry_each_nodes_parent_as_the_warehouse_has_it(wh):
    """The breadcrumb walks `Names.parents`: a branch head's map holds their subtree only, each node with
    its parent in `orgs` (their own top node's parent is outside and is never walked to)."""
    reader = names.for_reader(wh, scope_of("head_r01"), "en")
    orgs = wh.sql(
        "select o.org_id, o.parent_id from orgs o join org_closure c on c.descendant_id = o.org_id "
        "where c.ancestor_id = 'R01'"
    )
    assert reader.parents == dict(zip(orgs.org_id, orgs.parent_id))
    assert reader.parents["R01"] == "HO" and "HO" not in reader.parents


def test_repeating_names_carry_their_parents_and_only_they(wh):
    tree = wh.run("org_tree", scope_of("exec"))
    reader = names.from_frames(tree, wh.run("channels", scope_of("exec")), "zh")
    counts = tree.name_zh.value_counts()
    for row in tree.itertuples():
        label = reader.org(row.org_id)
        if counts[row.name_zh] == 1:
            assert label == row.name_zh
        else:
            parent = tree.set_index("org_id").name_zh[row.parent_id]
            assert label == f"{parent}{names.SEP}{row.name_zh}", row.org_id
    assert len(set(map(reader.org, tree.org_id))) == len(tree)  # every node told apart
    assert reader.org("R01B01", full=True) == "总行 / 北京分行 / 北京人民路支行"
    assert reader.channel("wecom_1to1") == "企业微信一对一"


def test_codes_read_by_name_and_unknown_codes_as_themselves():
    assert labels.label("segment", "sme_owner") == "小微企业主"
    assert labels.label("lifecycle", "won_back", "en") == "Won back"
    assert labels.label("stage", "H") == "分享" and labels.label("stage", "connect", "en") == "Connect"
    assert labels.label("route", "offline → remote") == "线下 → 远程"
    assert labels.label("insight_type", "dormant_high_value") == "沉睡高价值客户"
    assert labels.label("segment", "brand_new") == "brand_new"
    assert names.person("北京分行行长 Head of Beijing", "zh") == "北京分行行长"
    assert names.person("北京分行行长 Head of Beijing", "en") == "Head of Beijing"
    assert names.person("Ada Lovelace", "zh") == "Ada Lovelace"


@pytest.fixture(scope="module")
def period(as_of):
    return Period.parse(as_of.strftime("%Y-%m"), as_of)


REPORTS = [("head_r02", "R02", "zh"), ("head_r02", "R02", "en"), ("manager1", "R01B01T1M1", "zh")]


@pytest.fixture(scope="module", params=REPORTS, ids=["-".join(r) for r in REPORTS])
def report(request, wh, period):
    user, org, lang = request.param
    return data.collect(wh, scope_of(user), org, period, lang)


def test_the_pdf_reads_clean(report, tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf.build(report))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert problems(text, report.lang) == []
    if report.lang == "zh":
        assert "资产余额（万元）" in text and "（元）" not in text


def test_the_workbook_reads_clean_outside_its_hidden_key_columns(report):
    book = openpyxl.load_workbook(io.BytesIO(excel.build(report)))
    seen, hidden = [], 0
    for ws in book.worksheets:
        # a run of equal columns is stored once, as min..max
        keys = {i for d in ws.column_dimensions.values() if d.hidden for i in range(d.min, d.max + 1)}
        hidden += len(keys)
        for col in ws.iter_cols():
            if col[0].column not in keys:
                seen += [str(c.value) for c in col if isinstance(c.value, str)]
    assert hidden >= 5  # org, metric, stage, type and channel codes stay for joins
    assert problems("\n".join(seen), report.lang) == []


def test_the_workbook_formats_rates_money_and_dates(report):
    book = openpyxl.load_workbook(io.BytesIO(excel.build(report)))
    kpis = book.worksheets[1]
    heads = [c.value for c in kpis[1]]
    ach = heads.index(excel.i18n.t("report.col.achievement", report.lang)) + 1
    assert kpis.cell(2, ach).number_format == "0.0%"
    summary = book.worksheets[0]
    assert summary.cell(6, 2).is_date and summary.cell(6, 2).number_format == "yyyy-mm-dd hh:mm"
    funnel = book.worksheets[3]
    heads = [c.value for c in funnel[1]]
    prev = heads.index(excel.i18n.t("report.col.pct_prev", report.lang)) + 1
    assert funnel.cell(3, prev).number_format == "0.0%"
    expected = report.funnel.customers.iloc[1] / report.funnel.customers.iloc[0]
    assert funnel.cell(3, prev).value == pytest.approx(expected)


def _board(wh, user, org, as_of):
    from cockpit.core import calendar
    from cockpit.domain import landing, targets

    p = Period.parse(as_of.strftime("%Y-%m"), as_of)
    s = scope_of(user)
    frames = {
        k: wh.run("metric_values", s, {"start": a, "end": b, "parent": org})
        for k, (a, b) in targets.windows(p).items()
    }
    tg = wh.run("target_values", s, {"period_type": "month", "period_start": p.start, "parent": org})
    prog = calendar.progress(wh.run("calendar_days", s, {"start": p.start, "end": p.end}), p)
    return landing.board(frames, tg, org, prog), prog


def test_the_overview_is_the_cockpit_tiles_ranking_red_items_and_findings(app, wh, as_of):
    from cockpit.display import statuses

    board, prog = _board(wh, "head_r02", "R02", as_of)
    lagging = board.lagging()
    assert not lagging.empty and lagging.status.iloc[0] == "red"  # the lagging region has red metrics
    assert list(lagging.pace[lagging.status == "red"]) == sorted(lagging.pace[lagging.status == "red"])
    ranked = board.ranked("deposits")
    assert set(ranked.org_id) == {"R02B01", "R02B02"}
    assert list(ranked.pace) == sorted(ranked.pace, reverse=True)
    at = app("head_r02", lang="zh")
    assert not at.exception
    shown = "\n".join(m.value for m in at.markdown)
    for row in lagging.itertuples():
        assert statuses.why(row, prog.ratio, "zh") in shown  # each red or amber item with its reason
    assert len(at.get("plotly_chart")) == 1  # the children ranked
    assert len(at.metric) == 5
    findings = [m.value for m in at.main.markdown if m.value.startswith("**") and " · " in m.value]
    assert 1 <= len(findings) <= 3 and all("上海" in f for f in findings)


def test_a_managers_overview_ranks_nothing_and_a_red_target_says_why(app, wh, as_of):
    at = app("manager1", lang="zh")
    assert not at.exception
    assert not at.get("plotly_chart")  # no children: no ranking of one
    assert "下级机构排名" not in [h.value for h in at.subheader]
    at = app("head_r02", lang="zh")
    at.switch_page("pages/targets.py").run()
    at.selectbox(key="tg_metric").set_value("deposits").run()
    board, prog = _board(wh, "head_r02", "R02", as_of)
    row = board.node.set_index("metric").loc["deposits"]
    assert row.status == "red"
    assert any(units.rate(row.pace) in c.value and "不到时间进度" in c.value for c in at.caption)


def test_counts_read_whole_and_a_count_pace_keeps_a_decimal():
    from cockpit.core import i18n
    from cockpit.domain import metrics

    assert [i18n.count(v) for v in (0.2, 3.3, 3.6, 14359.4)] == ["0", "3", "4", "14,359"]
    assert i18n.fmt(0.4, "count") == "0" and metrics.get("actions").fmt(3.6) == "4"
    actions = metrics.get("actions")  # a pace per working day is a rate, not a count
    assert [actions.fmt_pace(v) for v in (0.04, 0.16, 0.0, 12.34)] == ["<0.1", "0.2", "0.0", "12.3"]
    assert metrics.get("sales").fmt_pace(26812.3) == metrics.get("sales").fmt(26812.3) == "2.68万"


def test_count_targets_are_whole_numbers(wh):
    from cockpit.domain import metrics

    counts = [m.id for m in metrics.all() if m.unit == "count"]
    got = wh.sql("select metric, target_value from targets")
    counted = got[got.metric.isin(counts)]
    assert len(counted) and (counted.target_value == counted.target_value.round()).all()
    assert (got.target_value != got.target_value.round()).any()  # money targets keep their cents


def test_a_managers_guidance_compares_nobody_with_itself(app, wh, as_of):
    from cockpit import guidance
    from cockpit.charts.guidance import evidence

    found = guidance.generate(
        wh, scope_of("manager1"), "R01B01T1M1", Period.containing("month", as_of, as_of)
    )
    alone = [i for i in found if i.detail is not None and len(i.detail) == 1]
    assert alone, "a manager's findings about their own node alone"
    assert all(evidence(i, "zh") is None for i in alone)
    for ins in found:
        fig = evidence(ins, "zh")
        bars = [t for t in (fig.data if fig is not None else ()) if t.type == "bar"]
        assert not bars or sum(len(t.x) for t in bars) > 1, ins.type
    at = app("manager1", lang="zh")
    at.switch_page("pages/guidance.py").run()
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert re.search(r"目标 \d+(?:,\d{3})*（", text) and not re.search(r"目标 \d+\.\d（", text)
    assert "需完成 0.0；" not in text


def test_every_red_or_amber_kpi_says_why_in_the_pdf_the_workbook_and_on_the_targets_page(
    report, app, tmp_path
):
    from cockpit.display import statuses

    k = report.kpis
    lagging = k[k.status.isin(["red", "amber"])]
    assert len(lagging), "the lagging region and the manager have red or amber metrics"
    progress = k.attrs["time_progress"]
    expected = [statuses.why(r, progress, report.lang) for r in lagging.itertuples()]
    assert all(m in w for m, w in zip(lagging.metric_name, expected))  # an independent reading of the rule
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf.build(report))
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert all(re.sub(r"\s+", "", w) in flat for w in expected)
    kpis = openpyxl.load_workbook(io.BytesIO(excel.build(report))).worksheets[1]
    heads = [c.value for c in kpis[1]]
    why = heads.index(excel.i18n.t("report.col.why", report.lang)) + 1
    cells = [kpis.cell(i + 2, why).value or "" for i in range(len(k))]
    assert [c for c in cells if c] == expected
    if report.lang == "zh" and report.org_id == "R02":
        at = app("head_r02", lang="zh")
        at.switch_page("pages/targets.py").run()
        table = at.dataframe[0].value
        assert [w for w in table["原因（红、黄）"] if w] == expected


def test_the_head_offices_scorecard_ranks_it_among_nobody(app):
    at = app("exec", lang="zh")
    at.switch_page("pages/scorecard.py").run()
    assert not at.exception
    shown = {m.label: m for m in at.metric}
    for label in ("同级排名", "全行同层级排名", "四分位", "较上期名次变化"):  # the head office has no peers
        assert (shown[label].value, shown[label].help) == ("—", "无同级机构"), label
    assert any("无同级机构可比" in c.value for c in at.caption)
    at = app("head_r01", lang="zh")
    at.switch_page("pages/scorecard.py").run()
    tile = {m.label: m for m in at.metric}["同级排名"]
    assert re.fullmatch(r"\d", tile.value) and tile.delta == "共 3 个"
    assert not any("无同级机构可比" in c.value for c in at.caption)


def test_an_indicator_scoring_nothing_says_which_rule_gave_it(app, wh, as_of):
    from cockpit.domain import metrics

    at = app("exec", lang="zh")
    at.switch_page("pages/scorecard.py").run()
    table = next(d.value for d in at.dataframe if {"得分", "满分", "指标"} <= set(d.value.columns))
    zero = table[(table["得分"] == "0.0") & (table["满分"] != "0.0")]
    lines = [c.value for c in at.caption if "得 0 分" in c.value]
    assert len(zero) and len(lines) == len(zero)  # one line per indicator that earned nothing
    start = Period.parse(as_of.strftime("%Y-%m"), as_of).start
    for name, line in zip(zero["指标"], lines):
        assert line.startswith(f"{name} 得 0 分")
        if "期初" in line and name == metrics.get("deposits").name("zh"):  # check the claim itself
            bal = wh.sql(
                "select balance_date, sum(balance) as b from balances_daily where category = 'deposit'"
                " and balance_date in (:o, :n) group by 1 order by 1",
                {"o": start - pd.Timedelta(days=1), "n": as_of},
            )
            assert bal.b.iloc[-1] <= bal.b.iloc[0]


def test_the_server_start_works_out_the_sidebar_of_the_large_scopes_for_their_users(bank, monkeypatch):
    """cockpit/app/serve.py: the names and picker of every scope holding the head office or a branch are
    worked out before the first visit, in every language, and a page run then finds them made."""
    from cockpit.app import serve, ui
    from cockpit.core import config, i18n
    from cockpit.display import names as display_names
    from cockpit.state import auth
    from cockpit.warehouse.layer import Scope, open_warehouse

    ui.forget_tree()
    made: list[str] = []
    real = display_names.from_frames
    monkeypatch.setattr(display_names, "from_frames", lambda *a: made.append(a[2]) or real(*a))
    large = {auth.get_user(u).scope.org_ids for u in ("exec", "head_r01", "head_r02")}
    assert serve.warm_sidebars() >= len(large)
    assert len(made) >= len(large) * len(i18n.LANGS)
    made.clear()
    target = config.warehouse_target()
    for org_ids in large:
        for lang in i18n.LANGS:
            picker = ui._picker(target, ui._nodes_key(org_ids), lang)
            tree = open_warehouse(target).run("org_tree", Scope("t", "branch_head", org_ids), {})
            assert set(picker.ids) == set(tree[(tree.level <= 3) | tree.org_id.isin(org_ids)].org_id)
    assert made == []  # nothing worked out again
