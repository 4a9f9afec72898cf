"""Operating targets: actual vs target, pace in working days, forecast, MoM / YoY and status;
drill into children.
"""

import streamlit as st

from cockpit.app import drill, figures, pills, ui
from cockpit.charts import targets as charts
from cockpit.core import calendar, i18n
from cockpit.display import statuses
from cockpit.domain import metrics, targets
from cockpit.state import actions

f, lang = ui.filters(), ui.lang()
p, org = f["period"], f["org_id"]
name_col = "name_zh" if lang == "zh" else "name_en"
st.title(ui.tr("page.targets"))
drill.breadcrumb(org, "tg")
cal = ui.query("calendar_days", start=p.start, end=p.end)
prog = figures.derived(calendar.progress, cal, p)
st.caption(
    ui.tr(
        "targets.caption",
        org=f["org_name"],
        period=p.label,
        elapsed=prog.elapsed,
        total=prog.total,
        progress=i18n.pct(prog.ratio, lang),
    )
)
frames = {
    k: ui.query("metric_values", start=a, end=b, parent=org)
    for k, (a, b) in targets.windows(p).items()
}
tg = ui.query("target_values", period_type=p.kind, period_start=p.start, parent=org)
ids = targets.targeted_metrics(tg)
if not ids:
    st.info(ui.tr("targets.no_targets"))
    st.stop()
labels = {s: ui.tr(f"status.{s}") for s in ("green", "amber", "red", "no_target", "not_started")}
shown_columns = ["name", *targets.TABLE_COLUMNS[3:]]  # the table's figures, the node by its name
columns = {c: ui.tr(f"targets.{c}") for c in shown_columns}
st.subheader(ui.tr("targets.summary"))
# worked out once for the same figures (cockpit/app/figures.py): summary, metric view, children
summary = figures.derived(targets.table, frames, tg, [org], ids, prog)
shown = figures.derived(targets.for_display, summary, lang, labels, name_col)
shown = shown.rename(columns=columns)
shown[ui.tr("targets.why")] = figures.derived(
    statuses.reasons, summary, prog.ratio, lang
)  # each red or amber says why
st.dataframe(
    pills.table(shown, columns["status"], summary.status), hide_index=True, width="stretch"
)

mid = st.selectbox(
    ui.tr("targets.metric"), ids, key="tg_metric", format_func=lambda m: metrics.get(m).name(lang)
)
m = metrics.get(mid)
st.caption(m.definition(lang))
series = ui.query("metric_values", start=p.start, end=p.to_date, parent=org, grain="day")
series = series[series.metric == mid]
base = figures.derived(targets.opening, frames, org, mid)
fc = figures.derived(targets.forecast, series, cal, prog, base)
view = figures.derived(targets.node_view, frames, tg, org, mid, prog, fc)
c = st.columns(5)
c[0].metric(m.name(lang), m.fmt(view.actual, lang), help=m.definition(lang))
c[1].metric(ui.tr("targets.target"), m.fmt(view.target, lang))
c[2].metric(
    ui.tr("targets.achievement"), i18n.pct(view.achievement, lang), help=ui.tr("targets.pace_help")
)
c[3].metric(
    ui.tr("targets.time_progress"),
    i18n.pct(prog.ratio, lang),
    help=ui.tr("targets.time_progress_help"),
)
c[4].metric(
    ui.tr("targets.status"),
    labels[view.status],
    delta=i18n.fmt(view.days_ahead, "days", lang) if view.days_ahead is not None else None,
    help=ui.tr("targets.days_ahead_help"),
)
if view.status in ("red", "amber"):  # every red or amber status says why, in one line
    st.caption(statuses.why(summary[summary.metric == mid].iloc[0], prog.ratio, lang))
c = st.columns(4)
fc = view.forecast
c[0].metric(
    ui.tr("targets.forecast"),
    m.fmt(fc.value, lang) if fc else "—",
    help=ui.tr("targets.forecast_help", low=m.fmt(fc.low, lang), high=m.fmt(fc.high, lang))
    if fc
    else ui.tr("targets.forecast_done")
    if prog.ended
    else ui.tr("targets.forecast_hidden", days=targets.FORECAST_MIN_DAYS),
)
c[1].metric(ui.tr("targets.needed"), m.fmt_pace(view.needed_per_day, lang))
prev, yago = targets.windows(p)["previous"], targets.windows(p)["year_ago"]
c[2].metric(
    ui.tr("targets.mom"),
    i18n.pct(view.mom, lang),
    help=ui.tr("targets.compare_help", start=prev[0], end=prev[1]),
)
c[3].metric(
    ui.tr("targets.yoy"),
    i18n.pct(view.yoy, lang),
    help=ui.tr("targets.compare_help", start=yago[0], end=yago[1]),
)
st.plotly_chart(
    figures.chart(
        charts.trend,
        series,
        figures.derived(targets.pace_path, cal, p, view.target, base),
        view.target,
        {
            "actual": ui.tr("targets.actual"),
            "pace": ui.tr("targets.pace_line"),
            "target": ui.tr("targets.target"),
            "forecast": ui.tr("targets.forecast"),
            "title": ui.tr("targets.trend_title", metric=m.name(lang)),
        },
        fc,
        p.end,
        lang,
        m.unit == "money",
    ),
    key="tg_trend",
)

if view.status in ("red", "amber"):  # a lagging metric: the open actions already working on it
    todo = actions.open_for(ui.warehouse(), ui.scope(), org, mid)
    if todo.empty:
        st.info(ui.tr("targets.no_open_actions"))
    else:
        st.caption(ui.tr("targets.open_actions", n=len(todo)))
        st.dataframe(todo, hide_index=True, width="stretch", key="tg_open_actions")

children = frames["current"][frames["current"].parent_id == org].drop_duplicates("org_id")
if not children.empty:
    st.subheader(ui.tr("targets.children"))
    kids = figures.derived(targets.table, frames, tg, list(children.org_id), [mid], prog)
    st.plotly_chart(
        figures.chart(
            charts.children_bars,
            kids,
            name_col,
            prog.ratio,
            {
                "achievement": ui.tr("targets.pace"),
                "time_progress": ui.tr("targets.time_progress"),
                "title": ui.tr("targets.children_title"),
            },
        ),
        key="tg_children",
    )
    shown = figures.derived(targets.for_display, kids, lang, labels, name_col)
    shown = shown.rename(columns=columns)
    shown[ui.tr("targets.why")] = figures.derived(statuses.reasons, kids, prog.ratio, lang)
    st.dataframe(
        pills.table(shown, columns["status"], kids.status), hide_index=True, width="stretch"
    )
    drill.children_buttons(children, "tg")
