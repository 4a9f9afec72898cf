"""SICAS funnel: customers at each stage, conversion and time between stages, breakdowns, the
weekly Connect → Action trend and the drop-off list for follow-up. The definition is
cockpit/domain/sicas.py."""

import streamlit as st

from cockpit.app import figures, ui
from cockpit.charts import sicas as charts
from cockpit.core import i18n
from cockpit.display import downloads, labels
from cockpit.domain import channels, sicas

f = ui.filters()
p = f["period"]
st.title(ui.tr("page.sicas"))
st.caption(
    ui.tr(
        "sicas.caption",
        org=f["org_name"],
        period=p.label,
        start=p.start,
        end=p.to_date,
        group=ui.tr(f"group.{f['channel_group']}"),
    )
)
with st.expander(ui.tr("sicas.definition")):
    st.markdown(ui.tr("sicas.rule"))
    st.markdown(
        "\n".join(
            f"- **{ui.tr(f'sicas.stage.{s.key}')}**: "
            + ui.tr("display.list_sep").join(
                labels.label("event_type", e, ui.lang()) for e in s.event_types
            )
            for s in sicas.STAGES
        )
    )
stages = {s.code: ui.tr(f"sicas.stage.{s.key}") for s in sicas.STAGES}
base = {"org_id": f["org_id"], "channel_group": f["channel_group"]}
prev_start, prev_end = p.previous()
cur = ui.query("sicas_funnel", **base, start=p.start, end=p.to_date)
if cur.empty:
    st.info(ui.tr("sicas.empty"))
    st.stop()
coverage = ui.query("channel_coverage", org_id=f["org_id"], start=p.start, end=p.to_date)
known = sicas.shown(sicas.CODES, coverage)
if known != sicas.CODES:
    st.info(ui.tr("channels.no_data", sources=ui.tr("channels.source.share")))
cur = cur[cur.stage.isin(known)]
prev = ui.query("sicas_funnel", **base, start=prev_start, end=prev_end).query("stage in @known")
compared = sicas.compare(cur, prev)
head = compared.set_index("stage")
table = compared.assign(stage=lambda d: d.stage.map(stages))
lang = ui.lang()
for col, key, value, change in zip(
    st.columns(3),
    ("sense", "action", "conversion"),
    (
        i18n.count(head.customers["S"], lang),
        i18n.count(head.customers["A"], lang),
        i18n.pct(head.pct_first["A"], lang),
    ),
    (head.change["S"], head.change["A"], None),
):
    col.metric(
        ui.tr(f"sicas.kpi.{key}"),
        value,
        None if change is None or change != change else i18n.pct(change, lang),
        help=ui.tr("sicas.previous", start=prev_start, end=prev_end)
        if change is not None
        else None,
    )
left, right = st.columns(2)
left.plotly_chart(
    figures.chart(
        charts.funnel,
        cur,
        stages,
        (ui.tr("sicas.col.pct_first"), ui.tr("sicas.col.pct_prev")),
        titles=(ui.tr("sicas.chart.funnel"),),
    ),
    key="sicas_funnel_chart",
)
right.plotly_chart(
    figures.chart(
        charts.compare,
        cur,
        prev,
        stages,
        (p.label, ui.tr("sicas.previous", start=prev_start, end=prev_end)),
        titles=(
            ui.tr("sicas.chart.compare"),
            ui.tr("sicas.axis.stage"),
            ui.tr("sicas.axis.customers"),
        ),
    ),
    key="sicas_compare_chart",
)
shown_funnel = table.assign(
    **{c: table[c].map(lambda v: i18n.pct(v, lang)) for c in ("pct_first", "pct_prev", "change")},
    **{c: table[c].map(lambda v: i18n.count(v, lang)) for c in ("customers", "prev_customers")},
    **{
        c: table[c].map(lambda v: "—" if v != v or v is None else f"{v:.1f}")
        for c in ("median_hours", "p75_hours")
    },
)
st.dataframe(
    shown_funnel.rename(columns=lambda c: ui.tr(f"sicas.col.{c}")),
    hide_index=True,
    key="sicas_table",
)

st.subheader(ui.tr("sicas.weekly"))
weekly = ui.query("sicas_weekly", **base, start=sicas.trend_start(p.to_date), end=p.to_date)
worst = sicas.worst_week(weekly)
if worst:
    st.warning(ui.tr("sicas.worst_week", week=worst), icon=":material/trending_down:")
st.plotly_chart(
    figures.chart(
        charts.weekly_trend,
        weekly,
        worst,
        ui.tr("sicas.step_rate"),
        ui.tr("sicas.step_base"),
        lang,
        titles=(
            ui.tr("sicas.chart.weekly"),
            ui.tr("sicas.axis.week"),
            ui.tr("sicas.axis.customers"),
            ui.tr("sicas.axis.rate"),
        ),
    ),
    key="sicas_weekly_chart",
)
if not worst:
    st.caption(ui.tr("sicas.no_worst_week", n=sicas.MIN_WEEK_BASE))

st.subheader(ui.tr("sicas.breakdown"))
by_names = {
    b: ui.tr(f"sicas.by.{b}") for b in sicas.BREAKDOWNS
}  # labels made now: format_func runs outside the run
by = st.selectbox(
    ui.tr("sicas.by"),
    sicas.shown(sicas.BREAKDOWNS, coverage),
    key="sicas_by",
    format_func=by_names.get,
)
sliced = ui.query("sicas_funnel", **base, start=p.start, end=p.to_date, by=by).query(
    "stage in @known"
)
labels = ui.query("sicas_labels")
slices, short = set(sliced["slice"]), ui.names().short
names = {
    **dict(zip(labels.id, labels[f"name_{ui.lang()}"])),
    **{o: short[o] for o in slices if o in short},
    **{
        c: ui.tr(f"sicas.segment.{c}")
        for c in ("mass", "young", "affluent", "sme_owner", "private")
    },
    **{g: ui.tr(f"group.{g}") for g in ("online", "remote", "offline")},
    "-": ui.tr("sicas.none"),
}
channel_names = ui.query("channels")
names.update(dict(zip(channel_names.channel_id, channel_names[f"name_{ui.lang()}"])))
st.plotly_chart(
    figures.chart(
        charts.breakdown,
        sliced,
        stages,
        {s: n for s, n in names.items() if s in slices},  # the chart's words: its slices' names
        titles=(ui.tr("sicas.chart.breakdown"), ui.tr("sicas.axis.stage"), by_names[by]),
    ),
    key="sicas_breakdown_chart",
)

own = sicas.conversion_breakdowns(ui.query("customer_attribute_list", org_id=f["org_id"]), coverage)
if own:
    st.subheader(ui.tr("sicas.attr.title"))
    attr_names = {a: ui.tr(f"sicas.attr.{a}") for a in own}
    attr = st.selectbox(ui.tr("sicas.attr.pick"), own, key="sicas_attr", format_func=attr_names.get)
    conv = sicas.in_reading_order(
        ui.query(
            "funnel_conversion", org_id=f["org_id"], start=p.start, end=p.to_date, breakdown=attr
        )
    )
    st.dataframe(
        i18n.table(
            conv.assign(dimension=conv.dimension.replace({"none": ui.tr("sicas.attr.none")})),
            {"customers": "count", "converted": "count", "conversion": "pct"},
            lang,
        ).rename(columns=lambda c: ui.tr(f"sicas.attr.col.{c}")),
        hide_index=True,
        key="sicas_attr_table",
    )

st.subheader(ui.tr("sicas.dropoff"))
drop_names = {
    c: ui.tr("sicas.dropoff_option", stage=stages[c], next=stages[sicas.next_stage(c)])
    for c in sicas.DROP_STAGES
}
stage = st.selectbox(
    ui.tr("sicas.dropoff_stage"),
    sicas.DROP_STAGES,
    key="sicas_drop_stage",
    index=2,
    format_func=drop_names.get,
)
user = ui.current_user()
drop_params = {**base, "start": p.start, "end": p.to_date, "stage": stage}
first = ui.query("sicas_dropoff", **drop_params, max_rows=sicas.DROP_PAGE)
total = int(first.listed.iloc[0]) if not first.empty else 0
pages = max(1, -(-total // sicas.DROP_PAGE))
page = st.number_input(ui.tr("sicas.dropoff_page", pages=pages), 1, pages, 1, key="sicas_drop_page")
states = {s: ui.tr(f"channels.state.{s}") for s in channels.STATES}
reader = ui.names()


def readable(drop):
    """The drop-off rows as the user may see them, in words (masked ids, names, stages)."""
    drop = sicas.mask_dropoffs(drop.drop(columns="listed"), user.role, user.org_ids)
    shown = drop.assign(
        org_id=drop.org_id.map(reader.org),
        manager_id=drop.manager_id.map(reader.org),
        stopped_at=drop.stopped_at.map(stages),
        segment=drop.segment.map(names),
        entry_channel_id=drop.entry_channel_id.map(names),
        lifecycle_state=drop.lifecycle_state.map(lambda v: states.get(v, v)),
    )
    return (
        shown.astype(object)
        .where(shown.notna(), "—")
        .rename(columns=lambda c: ui.tr(f"sicas.col.{c}"))
    )


everyone = ui.query_later("sicas_dropoff", **drop_params)


def whole_list():
    return readable(everyone())


offset = (int(page) - 1) * sicas.DROP_PAGE
here = (
    first
    if offset == 0
    else ui.query("sicas_dropoff", **drop_params, max_rows=sicas.DROP_PAGE, offset=offset)
)
shown = readable(here)
st.caption(
    ui.tr("sicas.dropoff_note", n=i18n.count(total, lang), size=i18n.count(sicas.DROP_PAGE, lang))
)
st.dataframe(shown, hide_index=True, key="sicas_drop_table")
c1, c2 = st.columns(2)
c1.download_button(
    ui.tr("sicas.csv"),
    lambda: downloads.csv_bytes(whole_list()),
    f"sicas_dropoff_{f['org_id']}_{p.label}.csv",
    "text/csv",
    key="sicas_drop_csv",
    on_click="ignore",
)
c2.download_button(
    ui.tr("sicas.xlsx"),
    lambda: downloads.xlsx_bytes(whole_list(), ui.tr("sicas.dropoff")),
    f"sicas_dropoff_{f['org_id']}_{p.label}.xlsx",
    key="sicas_drop_xlsx",
    on_click="ignore",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
