"""The report as an Excel workbook: the same figures as the PDF on formatted sheets, every code by its name
in the reader's language (cockpit.display), numbers kept as numbers with their formats (percent, money,
dates) so they can be summed, and the internal keys (org, metric, channel codes) in hidden columns for
anyone who joins the workbook to other data."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import pandas as pd

from cockpit.core import i18n
from cockpit.display import labels, units
from cockpit.display.names import Names
from cockpit.domain import metrics
from cockpit.reports.data import ReportData

NUMBER_FORMATS = {
    "money": "#,##0.00",
    "count": "#,##0",
    "rate": "0.0%",
    "pct": "0.0%",
    "score": "0.0",
    "seconds": "#,##0",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
WIDE = {"text", "baseline", "action", "script", "why"}


@dataclass(frozen=True)
class XCol:
    """A workbook column: `source` in the report's frame, `kind` (a number format of NUMBER_FORMATS, "org"
    for an org node's name, a code of cockpit.display.labels, "key" for a hidden internal key, or text),
    `header` its catalogue key."""

    source: str
    kind: str
    header: str


def _c(source: str, kind: str = "text", header: str | None = None) -> XCol:
    return XCol(source, kind, header or f"report.col.{source}")


SHEETS: dict[str, list[XCol]] = {
    "kpis": [
        _c("org_id", "key"),
        _c("metric", "key"),
        _c("metric_name"),
        _c("actual", "metric"),
        _c("target", "metric"),
        _c("metric", "unit", "display.col.unit"),
        _c("achievement", "rate"),
        _c("pace", "rate"),
        _c("status", "status"),
        _c("why"),
    ],
    "ranking": [
        _c("relation", "relation"),
        _c("rank", "count"),
        _c("siblings", "count"),
        _c("org_id", "key"),
        _c("org_id", "org", "report.col.name"),
        _c("score", "score"),
        _c("loop_score", "score"),
    ],
    "funnel": [
        _c("stage", "key", "report.col.stage_code"),
        _c("stage", "stage"),
        _c("customers", "count"),
        _c("pct_first", "rate"),
        _c("pct_prev", "rate"),
    ],
    "referrals": [
        _c("from_group", "group"),
        _c("to_group", "group"),
        *(_c(c, "count") for c in ("created", "accepted", "on_time", "converted")),
        _c("on_time_rate", "rate"),
        _c("conversion_rate", "rate"),
    ],
    "guidance": [
        _c("severity", "severity"),
        _c("type", "key"),
        _c("type", "insight_type", "report.col.type_name"),
        _c("audience", "audience"),
        _c("org_id", "key"),
        _c("org_id", "org", "report.col.name"),
        *(_c(c) for c in ("title", "text", "baseline", "action")),
    ],
    "actions": [
        _c("customer_id", header="action.col.customer_id"),
        _c("org_id", "key", "action.col.org_id"),
        _c("org_id", "org", "action.col.org_name"),
        _c("manager_id", "key", "action.col.manager_code"),
        _c("manager_id", "org", "action.col.manager_id"),
        _c("segment", "segment", "action.col.segment"),
        _c("tier", "count", "action.col.tier"),
        _c("aum", "money", "action.col.aum"),
        _c("lifecycle_state", "lifecycle", "action.col.lifecycle_state"),
        _c("last_active_date", "date", "action.col.last_active_date"),
        _c("reason", header="action.col.reason"),
        _c("stage", "stage", "action.col.stage"),
        _c("channel_id", "key", "action.col.channel_id"),
        _c("channel", header="action.col.channel"),
        _c("channel_conversion", "rate", "action.col.channel_conversion"),
        _c("script", header="action.col.script"),
    ],
}


def _cell(value: object, kind: str, lang: str, names: Names) -> object:
    """What the workbook holds for one value: a number or date for numeric kinds, a name for the rest."""
    if units.missing(value):
        return None
    if kind in ("key", "text", "metric") or kind in NUMBER_FORMATS:
        if kind == "date":
            return pd.Timestamp(value).to_pydatetime()
        return value
    if kind == "org":
        return names.org(value)
    if kind == "unit":
        return i18n.t(f"report.unit.{metrics.get(str(value)).unit}", lang)
    return labels.label(kind, value, lang)


def sheets(r: ReportData) -> dict[str, pd.DataFrame]:
    """Sheet key -> frame as written: one column per XCol, headers translated, values as the sheet holds."""
    frames = {
        "kpis": r.kpis,
        "ranking": r.ranking,
        "funnel": r.funnel,
        "referrals": r.referrals,
        "guidance": r.insights,
        "actions": r.actions,
    }
    out = {}
    for key, cols in SHEETS.items():
        df = frames[key]
        sheet = pd.DataFrame(
            {
                j: [
                    _cell(v, c.kind, r.lang, r.names)
                    for v in (df[c.source] if c.source in df else [None] * len(df))
                ]
                for j, c in enumerate(cols)
            },
            index=range(len(df)),
        )
        sheet.columns = [i18n.t(c.header, r.lang) for c in cols]
        out[key] = sheet
    return out


def _summary(r: ReportData) -> list[tuple[str, object, str | None]]:
    """(label, value, number format) rows of the summary sheet."""
    return [
        (i18n.t("report.summary.org", r.lang), r.names.org(r.org_id, full=True), None),
        (i18n.t("report.summary.period", r.lang), r.period.label, None),
        (i18n.t("report.summary.as_of", r.lang), dt.datetime.combine(r.period.to_date, dt.time()), "date"),
        (i18n.t("report.summary.user", r.lang), r.user_name or r.username, None),
        (i18n.t("report.summary.generated", r.lang), r.generated.replace(microsecond=0), "datetime"),
    ]


def build(r: ReportData) -> bytes:
    lang = r.lang
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter") as xw:
        book = xw.book
        head = book.add_format(
            {"bold": True, "bg_color": "#dde6f0", "font_color": "#1f3a5f", "text_wrap": True, "valign": "top"}
        )
        formats = {k: book.add_format({"num_format": f}) for k, f in NUMBER_FORMATS.items()}
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        ws = book.add_worksheet(i18n.t("report.sheet.summary", lang))
        ws.write(0, 0, i18n.t("report.title", lang), head)
        ws.set_column(0, 0, 16)
        ws.set_column(1, 1, 40)
        for i, (label, value, fmt) in enumerate(_summary(r), start=1):
            ws.write(i, 0, label)
            if isinstance(value, dt.datetime):
                ws.write_datetime(i, 1, value, formats[fmt or "datetime"])
            else:
                ws.write(i, 1, value)
        for key, df in sheets(r).items():
            cols = SHEETS[key]
            ws = book.add_worksheet(
                i18n.t("action.sheet" if key == "actions" else f"report.sheet.{key}", lang)
            )
            units_of = [metrics.get(m).unit for m in r.kpis.metric] if key == "kpis" else []
            for j, (c, header) in enumerate(zip(cols, df.columns)):
                ws.write(0, j, header, head)
                wide = c.source in WIDE
                ws.set_column(
                    j,
                    j,
                    60 if wide else 18,
                    wrap if wide else formats.get(c.kind),
                    {"hidden": c.kind == "key"},
                )
                for i, value in enumerate(df.iloc[:, j], start=1):
                    if units.missing(value):
                        continue
                    fmt = formats.get(units_of[i - 1] if c.kind == "metric" else c.kind)
                    if isinstance(value, dt.datetime):
                        ws.write_datetime(i, j, value, fmt)
                    elif fmt is not None:
                        ws.write_number(i, j, float(value), fmt)
                    else:
                        ws.write(i, j, value, wrap if wide else None)
            ws.freeze_panes(1, 0)
    return buf.getvalue()


__all__ = ["SHEETS", "build", "sheets"]
