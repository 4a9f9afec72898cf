"""Overview: the headline KPIs of the chosen org and period against a comparable previous period."""

import streamlit as st

from cockpit.app import ui
from cockpit.core import i18n
from cockpit.domain import metrics

f = ui.filters()
p = f["period"]
st.title(ui.tr("page.overview"))
st.caption(ui.tr("overview.caption", org=f["org_name"], period=p.label, start=p.start, end=p.to_date))
prev_start, prev_end = p.previous()
kpis = ui.query(
    "overview_kpis",
    org_id=f["org_id"],
    start=p.start,
    end=p.to_date,
    prev_start=prev_start,
    prev_end=prev_end,
)
# The data set behind each tile: a tile whose data the warehouse does not hold says "no data", never 0.
source = {
    "aum": "balances_daily",
    "deposits": "balances_daily",
    "new_customers": "customer_opened",
    "active_customers": "events",
    "actions": "events",
}
coverage = ui.query("data_coverage", org_id=f["org_id"], start=p.start, end=p.to_date)
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
        m.name(ui.lang()),
        m.fmt(row.current_value, ui.lang()),
        delta=None if delta is None else i18n.pct(delta, ui.lang()),
        help=m.definition(ui.lang()),
    )
if missing:
    st.info(
        ui.tr(
            "import.no_data_note", datasets="; ".join(ui.tr(f"import.no_data.{d}") for d in sorted(missing))
        )
    )
st.caption(ui.tr("overview.compare_note", prev_start=prev_start, prev_end=prev_end))
