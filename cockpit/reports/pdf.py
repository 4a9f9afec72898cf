"""The report as a PDF built from data with fpdf2: cover, KPI-vs-target table with status, charts
drawn with PDF primitives from the same figures (no screenshots, no browser), guidance and the
action list. A CJK font (Noto Sans CJK SC) is embedded as a subset, so Chinese renders on any reader.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from cockpit.core import i18n
from cockpit.display import labels, units
from cockpit.display.tables import Col, present, titled
from cockpit.domain import metrics, status
from cockpit.reports.data import ReportData

FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/noto-cjk"))
SC_INDEX = 2  # Simplified Chinese face in the Noto Sans CJK collection
NAVY = (31, 58, 95)
HEAD_FILL = (221, 230, 240)  # a pale header, navy bold text on it
ZEBRA = (244, 246, 249)  # every other body row; the rest white, text black
MAX_ACTIONS = 40
# A line may break after these (the end of a phrase) rather than in the middle of a word or phrase.
PHRASE_ENDS = "，。；：、）)！？ "
ACTION_COLS = (
    Col("customer_id", header="display.col.customer_id"),
    Col("manager_id", "org"),
    Col("segment", "segment"),
    Col("aum", "money"),
    Col("reason"),
    Col("channel"),
    Col("channel_conversion", "rate"),
)


class FontMissing(RuntimeError):
    """No CJK font on this machine; the message says which package to install."""


def _font(name: str) -> Path:
    for d in FONT_DIRS:
        if (d / name).exists():
            return d / name
    raise FontMissing(f"{name} not found: install the Noto CJK fonts (apt-get install fonts-noto-cjk)")


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


class Report(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(format="A4")
        self.footer_text = footer_text
        self.add_font("cjk", "", str(_font("NotoSansCJK-Regular.ttc")), collection_font_number=SC_INDEX)
        self.add_font("cjk", "B", str(_font("NotoSansCJK-Bold.ttc")), collection_font_number=SC_INDEX)
        self.set_auto_page_break(True, margin=15)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("cjk", "", 8)
        self.set_text_color(120)
        self.cell(0, 8, f"{self.footer_text} · {self.page_no()}", align="C")
        self.set_text_color(0)

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font("cjk", "B", 14)
        self.set_text_color(*NAVY)
        self.cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)
        self.set_font("cjk", "", 9)

    def bars(
        self,
        title: str,
        labels: list[str],
        values: list[float],
        texts: list[str],
        colours: list[tuple[int, int, int]] | None = None,
        marker: float | None = None,
    ) -> None:
        """A horizontal bar chart from figures; values scaled to the largest (and the marker)."""
        if self.get_y() + 12 + 7 * len(labels) > self.h - 20:
            self.add_page()
        self.set_font("cjk", "B", 10)
        self.cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
        self.set_font("cjk", "", 8)
        x0, width, label_w = self.l_margin, self.w - self.l_margin - self.r_margin, 55
        top = max([v for v in values if v == v] + [marker or 0, 1e-9])
        bar_w = width - label_w - 30
        y = y0 = self.get_y()
        for i, (label, v, t) in enumerate(zip(labels, values, texts)):
            self.set_xy(x0, y)
            self.cell(label_w, 6, label[:28])
            self.set_fill_color(*(colours[i] if colours else NAVY))
            w = max(0.0, (v if v == v else 0) / top * bar_w)
            self.rect(x0 + label_w, y + 1, w, 4, style="F")
            self.set_xy(x0 + label_w + w + 1, y)
            self.cell(28, 6, t)
            y += 6.5
        if marker is not None:
            mx = x0 + label_w + marker / top * bar_w
            self.set_draw_color(200, 0, 0)
            self.set_dash_pattern(dash=1.5, gap=1.5)
            self.line(mx, y0, mx, y)
            self.set_dash_pattern()
            self.set_draw_color(0)
        self.set_y(y + 3)

    def grid(
        self,
        header: list[str],
        rows: list[list[str]],
        widths: tuple[int, ...],
        pills: tuple[int, list[str]] | None = None,
    ) -> None:
        """A table with a pale header and white / light grey rows, so dark text always reads. `pills`:
        (column, a status per row) draws that column's cells in the status's colour, as the pages do."""
        self.set_font("cjk", "", 8)
        self.set_text_color(0)
        self.set_draw_color(200)
        self.set_fill_color(255)  # fpdf2 fills unstriped rows with the current colour (a chart's navy)
        head = FontFace(emphasis="BOLD", color=NAVY, fill_color=HEAD_FILL)
        with self.table(
            col_widths=widths,
            headings_style=head,
            line_height=5,
            text_align="LEFT",
            cell_fill_color=ZEBRA,
            cell_fill_mode="ROWS",
        ) as t:
            t.row(header)
            for i, r in enumerate(rows):
                row = t.row()
                for j, c in enumerate(r):
                    row.cell(str(c), style=_pill(pills[1][i]) if pills and j == pills[0] else None)
        self.set_draw_color(0)

    def phrase_lines(self, text: str, width: float) -> list[str]:
        """`text` cut into lines no wider than `width`, each break after a phrase's end where one fits."""
        lines: list[str] = []
        for para in text.split("\n"):
            line, phrase = "", ""
            for ch in para + "\0":
                if ch != "\0":
                    phrase += ch
                if ch not in PHRASE_ENDS and ch != "\0":
                    continue
                if self.get_string_width(line + phrase) <= width:
                    line += phrase
                else:
                    if line:
                        lines.append(line.rstrip())
                    line = ""
                    while self.get_string_width(phrase) > width:  # one phrase longer than a line
                        cut = next(
                            i for i in range(len(phrase), 0, -1) if self.get_string_width(phrase[:i]) <= width
                        )
                        lines.append(phrase[:cut])
                        phrase = phrase[cut:]
                    line = phrase.lstrip()
                phrase = ""
            lines.append(line.rstrip())
        return lines

    def paragraph(self, text: str, h: float = 5) -> None:
        """A left-aligned paragraph broken at phrase ends."""
        width = self.w - self.l_margin - self.r_margin
        for line in self.phrase_lines(text, width - 1):
            self.cell(0, h, line, new_x="LMARGIN", new_y="NEXT")


def _pill(code: str) -> FontFace:
    """A status cell in the status's colour with readable text on it (cockpit.app.pills on the pages)."""
    fill = _hex(status.COLOURS.get(code, status.COLOURS["no_target"]))
    return FontFace(emphasis="BOLD", color=_hex(status.text_colour(code)), fill_color=fill)


def kpi_scale(metric: str, values: tuple[float, float], lang: str) -> units.MoneyScale | None:
    """The one money scale of a KPI row (actual and target in the same unit), None for other units."""
    return units.money_scale(values, lang) if metrics.get(metric).unit == "money" else None


def kpi_label(metric: str, name: str, values: tuple[float, float], lang: str) -> str:
    """The metric's name with the unit of its row: 存款余额（亿元）."""
    unit = metrics.get(metric).unit
    scale = kpi_scale(metric, values, lang)
    shown = (
        scale.unit(lang)
        if scale
        else i18n.t(f"display.unit.{unit}", lang)
        if unit in ("score", "seconds")
        else None
    )
    return titled(name, shown, lang)


def kpi_figures(metric: str, values: tuple[float, float], lang: str) -> list[str]:
    scale = kpi_scale(metric, values, lang)
    unit = metrics.get(metric).unit
    return [scale.format(v, lang) if scale else units.figure(v, unit, lang) for v in values]


def guidance_heading(severity: int, title: str, org: str, lang: str = "zh") -> str:
    """A finding's heading in words: 高风险 · 目标风险 · 上海分行."""
    return i18n.t(
        "report.guidance_heading",
        lang,
        severity=labels.label("severity", severity, lang),
        title=title,
        org=org,
    )


def build(r: ReportData) -> bytes:
    lang = r.lang
    tr = lambda key, **kw: i18n.t(key, lang, **kw)  # noqa: E731
    pdf = Report(f"{tr('report.title')} · {r.org_name} · {r.period.label}")
    pdf.set_title(f"{tr('report.title')} {r.org_name} {r.period.label}")
    pdf.set_author(r.username)
    # Cover
    pdf.add_page()
    pdf.set_y(80)
    pdf.set_font("cjk", "B", 26)
    pdf.set_text_color(*NAVY)
    pdf.cell(0, 14, tr("app.title"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 14, tr("report.title"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    pdf.set_font("cjk", "", 13)
    pdf.cell(
        0,
        10,
        tr(
            "report.subtitle",
            org=r.names.org(r.org_id, full=True),
            period=r.period.label,
            as_of=i18n.date(r.period.to_date, lang),
        ),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("cjk", "", 9)
    pdf.ln(20)
    pdf.multi_cell(0, 6, tr("report.generated", user=r.user_name, at=units.day(r.generated)), align="C")
    # KPIs against targets
    pdf.add_page()
    pdf.heading(tr("report.kpis"))
    k = r.kpis
    rows = [
        [
            kpi_label(m, name, (a, t), lang),
            *kpi_figures(m, (a, t), lang),
            units.rate(ach, lang),
            units.rate(p, lang),
            labels.label("status", s, lang),
        ]
        for m, name, a, t, ach, p, s in zip(
            k.metric, k.metric_name, k.actual, k.target, k.achievement, k.pace, k.status
        )
    ]
    pdf.grid(
        [tr(f"report.col.{c}") for c in ("metric_name", "actual", "target", "achievement", "pace", "status")],
        rows,
        (48, 26, 26, 25, 25, 30),
        pills=(5, list(k.status)),
    )
    for line in (w for w in k.get("why", []) if w):  # every red or amber status says why, in one line
        pdf.paragraph(line)
    # Charts
    pdf.heading(tr("report.charts"))
    if not k.empty:
        progress = k.attrs.get("time_progress")
        pdf.bars(
            tr("report.chart_pace"),
            list(k.metric_name),
            [max(0.0, v) if v == v else 0 for v in k.pace.fillna(0)],
            [units.rate(v, lang) for v in k.pace],
            [_hex(status.COLOURS[s]) for s in k.status],
            marker=progress,
        )
    f = r.funnel
    if not f.empty:
        pdf.bars(
            tr("report.chart_funnel"),
            [labels.label("stage", c, lang) for c in f.stage],
            list(f.customers.astype(float)),
            [f"{units.count(c, lang)} ({units.rate(p, lang)})" for c, p in zip(f.customers, f.pct_first)],
        )
    ref = r.referrals
    if not ref.empty:
        pdf.bars(
            tr("report.chart_referrals"),
            [labels.label("route", f"{a} → {b}", lang) for a, b in zip(ref.from_group, ref.to_group)],
            list(ref.on_time_rate),
            [
                tr("report.rate_of", rate=units.rate(v, lang), n=units.count(n, lang))
                for v, n in zip(ref.on_time_rate, ref.created)
            ],
        )
    rk = r.ranking
    if len(rk) > 1:  # a ranking of one member says nothing
        bar_labels = [
            tr("report.rank_self", rank=i, of=int(n)) if rel == "self" and n > 1 else r.names.org(o)
            for rel, i, n, o in zip(rk.relation, rk["rank"], rk.siblings.fillna(0), rk.org_id)
        ]
        colours = [NAVY if rel == "self" else (96, 125, 139) for rel in rk.relation]
        pdf.bars(
            tr("report.chart_ranking"),
            bar_labels,
            [float(v) for v in rk.score.fillna(0)],
            [units.score(v, lang) for v in rk.score],
            colours,
        )
    # Guidance
    pdf.add_page()
    pdf.heading(tr("report.guidance"))
    if r.insights.empty:
        pdf.cell(0, 6, tr("report.none"), new_x="LMARGIN", new_y="NEXT")
    for g in r.insights.itertuples():
        pdf.set_font("cjk", "B", 10)
        pdf.paragraph(guidance_heading(g.severity, g.title, r.names.org(g.org_id), lang), h=6)
        pdf.set_font("cjk", "", 9)
        pdf.paragraph(g.text)
        pdf.set_text_color(90)
        pdf.paragraph(g.baseline)
        pdf.set_text_color(0)
        pdf.paragraph("→ " + g.action)
        pdf.ln(2)
    # Action list
    pdf.heading(tr("report.actions"))
    a = r.actions
    if a.empty:
        pdf.cell(0, 6, tr("report.none"), new_x="LMARGIN", new_y="NEXT")
    else:
        shown = a.head(MAX_ACTIONS)
        if len(a) > len(shown):
            pdf.paragraph(tr("report.actions_more", n=len(a), shown=len(shown)))
        table = present(shown, ACTION_COLS, lang, r.names)
        pdf.grid(list(table.columns), table.values.tolist(), (14, 34, 22, 28, 36, 30, 26))
    return bytes(pdf.output())
