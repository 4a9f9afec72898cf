"""Overview, the cockpit: the node's KPI tiles with target status and their course this
period, its children ranked on a chosen metric (click a bar to drill), the red and amber
items and the top guidance."""

import streamlit as st

from cockpit.app import drill, figures, pills, ui
from cockpit.app.navigation import pages_for
from cockpit.charts import targets as charts
from cockpit.core import calendar, i18n
from cockpit.display import statuses
from cockpit.domain import landing, metrics, targets

f, lang = ui.filters(), ui.lang()
mine = {spec.path for spec in pages_for(ui.current_user().role)}
p, org = f["period"], f["org_id"]
st.title(ui.tr("page.overview"))
drill.breadcrumb(org, "ov")
caption = {"org": f["org_name"], "period": p.label, "start": p.start, "end": p.to_date}
st.caption(ui.tr("overview.caption", **caption))
prev_start, prev_end = p.previous()
with st.spinner(ui.tr("overview.loading")):
    window = {"start": p.start, "end": p.to_date, "prev_start": prev_start, "prev_end": prev_end}
    kpis = ui.query("overview_kpis", org_id=org, **window)
    windows = targets.windows(p).items()
    frames = {k: ui.query("metric_values", start=a, end=b, parent=org) for k, (a, b) in windows}
    tg = ui.query("target_values", period_type=p.kind, period_start=p.start, parent=org)
    cal = ui.query("calendar_days", start=p.start, end=p.end)
    prog = figures.derived(calendar.progress, cal, p)
    series = ui.query("metric_values", start=p.start, end=p.to_date, parent=org, grain="day")
    board = figures.derived(landing.board, frames, tg, org, prog)
    lines = figures.derived(landing.sparklines, series, org, tuple(kpis.metric))
# The data set behind each tile: without its data a tile says "no data", never 0.
source = {
    "aum": "balances_daily",
    "deposits": "balances_daily",
    "new_customers": "customer_opened",
    "active_customers": "events",
    "actions": "events",
}
coverage = ui.query(
    "channel_coverage", org_id=org, start=p.start, end=p.to_date
)  # stored by the build
missing = set(coverage.loc[~coverage.has_data.astype(bool), "dataset"]) & set(source.values())
cols = st.columns(len(kpis))
for col, row in zip(cols, kpis.itertuples()):
    if source[row.metric] in missing:
        col.metric(
            ui.tr(f"metric.{row.metric}"),
            ui.tr("import.no_data"),
            help=ui.tr(f"import.no_data.{source[row.metric]}"),
        )
        continue
    delta = (row.current_value / row.previous_value - 1) if row.previous_value else None
    m = metrics.get(row.metric)  # name, unit and definition (tooltip) from the metric dictionary
    col.metric(
        m.name(lang),
        m.fmt(row.current_value, lang),
        delta=None if delta is None else i18n.pct(delta, lang),
        help=m.definition(lang),
        chart_data=lines[row.metric] or None,
        chart_type="line",
        border=True,
    )
    status = board.status(row.metric)
    if status:
        col.badge(statuses.status_label(status, lang), color=pills.badge_colour(status))
if missing:
    datasets = "; ".join(ui.tr(f"import.no_data.{d}") for d in sorted(missing))
    st.info(ui.tr("import.no_data_note", datasets=datasets))
st.caption(ui.tr("overview.compare_note", prev_start=prev_start, prev_end=prev_end))

left, right = st.columns([3, 2])
with left:
    if board.metrics and board.children.org_id.nunique() > 1:  # a ranking of one says nothing
        st.subheader(ui.tr("overview.children"))
        pick = st.selectbox(
            ui.tr("overview.children_metric"),
            board.metrics,
            key="ov_metric",
            format_func={m: metrics.get(m).name(lang) for m in board.metrics}.get,
        )
        ranked = board.ranked(pick).assign(label=lambda d: [ui.names().org(o) for o in d.org_id])
        words = {"achievement": ui.tr("targets.pace"), "title": metrics.get(pick).name(lang)}
        words["time_progress"] = ui.tr("targets.time_progress")
        fig = figures.chart(charts.children_bars, ranked, "label", prog.ratio, words)
        click = drill.chart_click("ov_children", list(ranked.org_id))
        st.plotly_chart(fig, key="ov_children", on_select=click, selection_mode="points")
        st.caption(ui.tr("overview.children_hint"))
    drill.children_buttons(board.children.drop_duplicates("org_id"), "ov")
with right:
    st.subheader(ui.tr("overview.lagging"))
    lagging = board.lagging()
    if lagging.empty:
        st.success(ui.tr("overview.lagging_none"))
    for row in lagging.itertuples():
        st.badge(statuses.status_label(row.status, lang), color=pills.badge_colour(row.status))
        st.markdown(statuses.why(row, prog.ratio, lang))
    st.page_link("pages/targets.py", label=ui.tr("overview.open_targets"), icon=":material/flag:")
    if "pages/guidance.py" in mine:
        st.subheader(ui.tr("overview.findings"))
        with st.spinner(ui.tr("overview.loading_guidance")):
            try:  # the landing page stays up when a guidance family fails on unusual data
                found = ui.insights(org, p)[:3]
            except Exception as e:
                st.warning(ui.tr("overview.findings_failed", detail=str(e)[:120]))
                found = []
        if not found:
            st.info(ui.tr("overview.findings_none"))
        for insight in found:
            st.markdown(f"**{insight.title(lang)} · {ui.names().org(insight.org_id)}**")
            st.caption(insight.text(lang))
        link = ui.tr("overview.open_guidance")
        st.page_link("pages/guidance.py", label=link, icon=":material/lightbulb:")
