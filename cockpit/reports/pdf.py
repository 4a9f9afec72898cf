"""The report as a PDF built from data with fpdf2: cover, KPI-vs-target table with status, charts
drawn with PDF primitives from the same figures (no screenshots, no browser), guidance and the
action list. A CJK font (Noto Sans CJK SC) is embedded as a subset, so Chinese renders on any reader.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from cockpit.core import i18n
from cockpit.domain import sicas, status
from cockpit.reports.data import ReportData

FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/noto-cjk"))
SC_INDEX = 2  # Simplified Chinese face in the Noto Sans CJK collection
NAVY = (31, 58, 95)
MAX_ACTIONS = 40


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

    def grid(self, header: list[str], rows: list[list[str]], widths: tuple[int, ...]) -> None:
        self.set_font("cjk", "", 8)
        head = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=NAVY)
        with self.table(col_widths=widths, headings_style=head, line_height=5, text_align="LEFT") as t:
            t.row(header)
            for r in rows:
                t.row([str(c) for c in r])


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
            org=f"{r.org_name} ({r.org_id})",
            period=r.period.label,
            as_of=i18n.date(r.period.to_date, lang),
        ),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("cjk", "", 9)
    pdf.ln(20)
    pdf.multi_cell(
        0, 6, tr("report.generated", user=r.username, at=r.generated.strftime("%Y-%m-%d %H:%M")), align="C"
    )
    # KPIs against targets
    pdf.add_page()
    pdf.heading(tr("report.kpis"))
    k = r.kpis
    from cockpit.domain import metrics

    rows = [
        [
            m_name,
            metrics.get(m).fmt(a, lang),
            metrics.get(m).fmt(t, lang),
            i18n.pct(ach, lang),
            i18n.pct(p, lang),
            tr(f"report.status.{s}"),
        ]
        for m, m_name, a, t, ach, p, s in zip(
            k.metric, k.metric_name, k.actual, k.target, k.achievement, k.pace, k.status
        )
    ]
    pdf.grid(
        [tr(f"report.col.{c}") for c in ("metric_name", "actual", "target", "achievement", "pace", "status")],
        rows,
        (40, 30, 30, 25, 25, 30),
    )
    # Charts
    pdf.heading(tr("report.charts"))
    if not k.empty:
        progress = k.attrs.get("time_progress")
        pdf.bars(
            tr("report.chart_pace"),
            list(k.metric_name),
            [max(0.0, v) if v == v else 0 for v in k.pace.fillna(0)],
            [i18n.pct(v, lang) for v in k.pace],
            [_hex(status.COLOURS[s]) for s in k.status],
            marker=progress,
        )
    f = r.funnel
    if not f.empty:
        pdf.bars(
            tr("report.chart_funnel"),
            [tr(f"sicas.stage.{sicas.stage(c).key}") for c in f.stage],
            list(f.customers.astype(float)),
            [f"{i18n.count(c, lang)} ({i18n.pct(p, lang)})" for c, p in zip(f.customers, f.pct_first)],
        )
    ref = r.referrals
    if not ref.empty:
        pdf.bars(
            tr("report.chart_referrals"),
            [f"{tr('group.' + a)} → {tr('group.' + b)}" for a, b in zip(ref.from_group, ref.to_group)],
            list(ref.on_time_rate),
            [f"{i18n.pct(v, lang)} / {n}" for v, n in zip(ref.on_time_rate, ref.created)],
        )
    rk = r.ranking
    if not rk.empty:
        name_col = "name_zh" if lang == "zh" else "name_en"
        this = tr("report.relation.self")
        labels = [
            f"{this} {i}/{int(n)} {nm}" if rel == "self" else f"{i}. {nm}"
            for rel, i, n, nm in zip(rk.relation, rk["rank"], rk.siblings.fillna(0), rk[name_col])
        ]
        colours = [NAVY if rel == "self" else (96, 125, 139) for rel in rk.relation]
        pdf.bars(
            tr("report.chart_ranking"),
            labels,
            [float(v) for v in rk.score.fillna(0)],
            [i18n.fmt(v, "score", lang) for v in rk.score],
            colours,
        )
    # Guidance
    pdf.add_page()
    pdf.heading(tr("report.guidance"))
    if r.insights.empty:
        pdf.cell(0, 6, tr("report.none"), new_x="LMARGIN", new_y="NEXT")
    for g in r.insights.itertuples():
        pdf.set_font("cjk", "B", 10)
        pdf.multi_cell(
            0,
            6,
            align="L",
            text=f"[{tr(f'guidance.severity.{g.severity}')}] {g.title} · {g.org_id}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font("cjk", "", 9)
        pdf.multi_cell(0, 5, g.text, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(90)
        pdf.multi_cell(0, 5, g.baseline, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0)
        pdf.multi_cell(0, 5, "→ " + g.action, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    # Action list
    pdf.heading(tr("report.actions"))
    a = r.actions
    if a.empty:
        pdf.cell(0, 6, tr("report.none"), new_x="LMARGIN", new_y="NEXT")
    else:
        shown = a.head(MAX_ACTIONS)
        if len(a) > len(shown):
            pdf.multi_cell(
                0, 5, tr("report.actions_more", n=len(a), shown=len(shown)), new_x="LMARGIN", new_y="NEXT"
            )
        cols = ("customer_id", "manager_id", "segment", "aum", "reason", "channel", "channel_conversion")
        rows = [
            [c, m or "—", s, i18n.money(v, lang), why, ch, i18n.pct(cv, lang)]
            for c, m, s, v, why, ch, cv in shown[list(cols)].itertuples(index=False)
        ]
        pdf.grid([i18n.t(f"action.col.{c}", lang) for c in cols], rows, (20, 28, 20, 22, 40, 28, 22))
    return bytes(pdf.output())
