"""Overview: the headline KPIs of the chosen org and period against a comparable previous period."""
import streamlit as st

from cockpit import i18n, ui

f = ui.filters()
p = f["period"]
st.title(ui.tr("page.overview"))
st.caption(ui.tr("overview.caption", org=f["org_name"], period=p.label, start=p.start, end=p.to_date))
prev_start, prev_end = p.previous()
kpis = ui.query("overview_kpis", org_id=f["org_id"], start=p.start, end=p.to_date,
                prev_start=prev_start, prev_end=prev_end)
units = {"aum": "money", "deposits": "money", "new_customers": "count", "active_customers": "count", "actions": "count"}
cols = st.columns(len(kpis))
for col, row in zip(cols, kpis.itertuples()):
    delta = (row.current_value / row.previous_value - 1) if row.previous_value else None
    col.metric(ui.tr(f"metric.{row.metric}"), i18n.fmt(row.current_value, units[row.metric], ui.lang()),
               delta=None if delta is None else i18n.pct(delta, ui.lang()), help=ui.tr(f"metric.{row.metric}.help"))
st.caption(ui.tr("overview.compare_note", prev_start=prev_start, prev_end=prev_end))
