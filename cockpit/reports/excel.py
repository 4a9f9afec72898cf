"""The report as an Excel workbook: the same figures as the PDF on formatted sheets with Chinese
(or English) headers; raw numbers are kept as numbers with number formats, so they can be summed."""

from __future__ import annotations

import io

import pandas as pd

from cockpit.core import i18n
from cockpit.reports.data import ReportData

KPI_COLS = ["org_id", "metric", "metric_name", "actual", "target", "achievement", "pace", "status"]
RANK_COLS = ["relation", "rank", "siblings", "org_id", "name", "score", "loop_score"]
FUNNEL_COLS = ["stage", "customers", "pct_first", "pct_prev"]
REF_COLS = [
    "from_group",
    "to_group",
    "created",
    "accepted",
    "on_time",
    "converted",
    "on_time_rate",
    "conversion_rate",
]
GUIDE_COLS = ["severity", "type", "audience", "org_id", "title", "text", "baseline", "action"]
PCT = {
    "achievement",
    "pace",
    "pct_first",
    "pct_prev",
    "on_time_rate",
    "conversion_rate",
    "channel_conversion",
    "loop_score",
}


def sheets(r: ReportData) -> dict[str, pd.DataFrame]:
    """Sheet key -> frame with the report's raw figures (column keys, before headers are translated)."""
    lang = r.lang
    kpis = r.kpis.assign(status=[i18n.t(f"report.status.{s}", lang) for s in r.kpis.status])[KPI_COLS]
    name_col = "name_zh" if lang == "zh" else "name_en"
    ranking = r.ranking.assign(
        name=r.ranking[name_col] if not r.ranking.empty else [],
        relation=[i18n.t(f"report.relation.{x}", lang) for x in r.ranking.relation],
    )
    return {
        "kpis": kpis,
        "ranking": ranking.reindex(columns=RANK_COLS),
        "funnel": r.funnel.reindex(columns=FUNNEL_COLS),
        "referrals": r.referrals.reindex(columns=REF_COLS),
        "guidance": r.insights.reindex(columns=GUIDE_COLS),
        "actions": r.actions,
    }


def _header(sheet: str, col: str, lang: str) -> str:
    """Action-list columns keep the headers of the action-list export; the other sheets use report headers."""
    return i18n.t(f"{'action' if sheet == 'actions' else 'report'}.col.{col}", lang)


def build(r: ReportData) -> bytes:
    lang = r.lang
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter") as xw:
        book = xw.book
        head = book.add_format(
            {"bold": True, "bg_color": "#1f3a5f", "font_color": "white", "text_wrap": True, "valign": "top"}
        )
        pct = book.add_format({"num_format": "0.0%"})
        num = book.add_format({"num_format": "#,##0.00"})
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        summary = pd.DataFrame(
            {
                i18n.t("report.summary.org", lang): [f"{r.org_name} ({r.org_id})"],
                i18n.t("report.summary.period", lang): [r.period.label],
                i18n.t("report.summary.as_of", lang): [r.period.to_date.isoformat()],
                i18n.t("report.summary.user", lang): [r.username],
                i18n.t("report.summary.generated", lang): [r.generated.isoformat(timespec="seconds")],
            }
        ).T.reset_index()
        summary.columns = [i18n.t("report.title", lang), ""]
        summary.to_excel(xw, sheet_name=i18n.t("report.sheet.summary", lang), index=False)
        xw.sheets[i18n.t("report.sheet.summary", lang)].set_column(0, 1, 28)
        for key, df in sheets(r).items():
            name = i18n.t("action.sheet" if key == "actions" else f"report.sheet.{key}", lang)
            df.to_excel(xw, sheet_name=name, index=False, startrow=1, header=False)
            ws = xw.sheets[name]
            for j, col in enumerate(df.columns):
                ws.write(0, j, _header(key, col, lang), head)
                wide = col in {"text", "baseline", "action", "script"}
                fmt = (
                    pct
                    if col in PCT
                    else num
                    if col in {"actual", "target", "aum", "score"}
                    else wrap
                    if wide
                    else None
                )
                ws.set_column(j, j, 60 if wide else 16, fmt)
            ws.freeze_panes(1, 0)
    return buf.getvalue()


__all__ = ["build", "sheets"]
