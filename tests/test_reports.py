"""Reports: the PDF opens with its sections, Chinese title and the node's figures; the workbook reads
back equal to the named queries; a branch head's report holds only their branch; the command line
refuses another branch with exit 3 and writes one report per visible node with --all; every
generated report is in the audit log."""

import io
import shutil
import subprocess

import pandas as pd
import pytest

from cockpit.core import i18n
from cockpit.core.periods import Period
from cockpit.ops import cli
from cockpit.reports import batch, data, excel, pdf
from cockpit.state import appstate
from cockpit.warehouse.layer import ScopeError
from tests.conftest import scope_of


@pytest.fixture(scope="module")
def period(as_of):
    return Period.parse(as_of.strftime("%Y-%m"), as_of)


@pytest.fixture(scope="module")
def r02(wh, period):
    return data.collect(wh, scope_of("head_r02"), "R02", period, "zh")


def pdf_text(blob: bytes, tmp_path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(blob)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_pdf_opens_with_its_sections_chinese_title_and_the_nodes_figures(r02, tmp_path):
    assert shutil.which("pdftotext"), "poppler-utils must be installed"
    text = pdf_text(pdf.build(r02), tmp_path)
    for key in (
        "report.title",
        "report.kpis",
        "report.charts",
        "report.chart_funnel",
        "report.chart_referrals",
        "report.chart_ranking",
        "report.guidance",
        "report.actions",
    ):
        assert i18n.t(key, "zh") in text, key
    assert "上海分行" in text and "R02" not in text  # the node by its name, never its code
    dep = r02.kpis.set_index("metric").loc["deposits"]
    scale = 1e8 if max(dep.actual, dep.target) >= 1e8 else 1e4
    assert f"存款余额（{'亿元' if scale == 1e8 else '万元'}）" in text
    assert f"{dep.actual / scale:,.2f}" in text and f"{dep.target / scale:,.2f}" in text
    assert i18n.t(f"report.status.{dep.status}", "zh") in text
    first = r02.insights.iloc[0]
    assert first.title in text
    info = subprocess.run(["pdffonts", str(tmp_path / "r.pdf")], capture_output=True, text=True).stdout
    assert "NotoSansCJK" in info and " yes " in info  # the CJK font is embedded


def test_pdf_in_english_holds_english_title(wh, period, tmp_path):
    r = data.collect(wh, scope_of("head_r01b02"), "R01B02", period, "en")
    text = pdf_text(pdf.build(r), tmp_path)
    assert "Operating report" in text and "Beijing Zhongshan Rd Sub-branch" in text and "R01B02" not in text


def test_workbook_reads_back_equal_to_the_named_queries(wh, r02, period):
    book = pd.read_excel(io.BytesIO(excel.build(r02)), sheet_name=None)
    assert {"概要", "目标完成", "下级排名", "SICAS漏斗", "转介矩阵", "经营指导", "行动清单"} <= set(book)
    kpi = book["目标完成"]
    assert list(kpi.columns[:4]) == ["机构代码", "指标代码", "指标", "实际"]
    scope = scope_of("head_r02")
    cur = wh.run("metric_values", scope, {"start": period.start, "end": period.to_date, "parent": "R02"})
    cur = cur[cur.org_id == "R02"].set_index("metric").value
    for m, actual in zip(kpi["指标代码"], kpi["实际"]):
        assert actual == pytest.approx(cur[m]), m
    funnel = wh.run("sicas_funnel", scope, {"org_id": "R02", "start": period.start, "end": period.to_date})
    assert list(book["SICAS漏斗"]["客户数"]) == list(funnel.customers)
    refs = wh.run(
        "referral_matrix",
        scope,
        {"org_id": "R02", "start": period.start, "end": period.to_date, "level": "group"},
    )
    assert list(book["转介矩阵"]["转介笔数"]) == list(refs.created)
    assert list(book["行动清单"]["客户号"]) == list(r02.actions.customer_id)
    from cockpit.core import calendar
    from cockpit.domain import scorecard

    cal = wh.run("calendar_days", scope, {"start": period.start, "end": period.end})
    scores = scorecard.ranking(scorecard.scores(wh, scope, "R02", period, calendar.progress(cal, period)))
    own = scores[scores.relation != "peer"].set_index("org_id").score
    ranked = book["下级排名"].set_index("机构代码")["记分卡总分"]
    assert set(ranked.index) == set(own.index)
    for org, score in ranked.items():
        assert score == pytest.approx(own[org])
    assert len(book["经营指导"]) == len(r02.insights)


def test_a_branch_heads_report_holds_no_other_branchs_rows(r02):
    book = pd.read_excel(io.BytesIO(excel.build(r02)), sheet_name=None)
    for name, sheet in book.items():
        for col in ("机构代码", "所属机构"):
            if col in sheet:
                assert sheet[col].astype(str).str.startswith("R02").all(), (name, col)


def test_a_branch_head_cannot_build_another_branchs_report(wh, period):
    with pytest.raises(ScopeError):
        data.collect(wh, scope_of("head_r01"), "R02", period, "zh")


def test_cli_refuses_another_branch_with_exit_3(bank, period, tmp_path, capsys):
    rc = cli.main(
        ["report", "--org", "R02", "--period", period.label, "--out", str(tmp_path), "--as", "head_r01"]
    )
    assert rc == 3
    assert "outside your scope" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_cli_writes_one_report_and_the_audit_log_records_it(bank, period, tmp_path):
    rc = cli.main(
        [
            "report",
            "--org",
            "R01B02",
            "--period",
            period.label,
            "--format",
            "xlsx",
            "--out",
            str(tmp_path),
            "--as",
            "head_r01b02",
        ]
    )
    assert rc == 0
    assert (tmp_path / f"report_R01B02_{period.label}.xlsx").exists()
    last = appstate.audit_entries(5)
    assert any(
        e["action"] == "report_generated" and e["username"] == "head_r01b02" and "R01B02" in e["detail"]
        for e in last
    )


def test_cli_all_writes_every_visible_node_each_with_only_its_own_data(bank, wh, period, tmp_path):
    rc = cli.main(
        [
            "report",
            "--all",
            "--period",
            period.label,
            "--format",
            "xlsx",
            "--out",
            str(tmp_path),
            "--as",
            "head_r01b02",
            "--workers",
            "2",
        ]
    )
    assert rc == 0
    tree = wh.run("org_tree", scope_of("head_r01b02"))
    expected = {batch.file_name(o, period, "xlsx") for o in tree[tree.level <= 3].org_id}
    assert {p.name for p in tmp_path.iterdir()} == expected
    for path in tmp_path.iterdir():
        node = path.name.split("_")[1]
        acts = pd.read_excel(path, sheet_name="行动清单")
        assert acts["所属机构"].astype(str).str.startswith(node).all(), path.name


def test_reports_page_offers_both_downloads(app):
    at = app("head_r01", lang="zh")
    at.switch_page("pages/reports.py").run()
    assert not at.exception
    assert len(at.get("download_button")) == 2


def test_the_reports_page_lists_the_sections_and_previews_page_one(app):
    at = app("head_r02", lang="zh")
    at.switch_page("pages/reports.py").run()
    shown = "\n".join(m.value for m in at.markdown)
    for key in ("report.kpis", "report.charts", "report.guidance", "report.actions"):
        assert i18n.t(key, "zh") in shown, key
    images = lambda: [n for n in at.main if getattr(n, "type", "") == "image"]  # noqa: E731
    assert not images()  # nothing built before it is asked for
    at.button(key="report_preview").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert len(images()) == 1


def test_the_preview_is_page_one_as_a_png_at_the_asked_resolution(r02):
    import struct

    from cockpit.reports import preview

    png = preview.first_page(pdf.build(r02), dpi=50)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width == pytest.approx(210 / 25.4 * 50, abs=1) and height == pytest.approx(
        297 / 25.4 * 50, abs=1
    )  # A4
