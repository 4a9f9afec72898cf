"""Guidance: the insights for the chosen node and period, news first and most severe first,
standing conditions marked and last; the first PAGE_SIZE open to their evidence, the rest are
counted and listed on request, never dropped; managers also get their action list with CSV /
Excel export."""

import streamlit as st

from cockpit.app import insight_action, ui
from cockpit.display import action_list
from cockpit.guidance import PAGE_SIZE, Context, actions, page
from cockpit.state import appstate

f = ui.filters()
p, lang, user = f["period"], ui.lang(), ui.current_user()
st.title(ui.tr("guidance.page"))
st.caption(ui.tr("guidance.caption", org=f["org_name"], period=p.label))
with st.spinner(
    ui.tr("overview.loading_guidance")
):  # computed now when the build does not store it
    found, stored = ui.guidance(f["org_id"], p)
if not stored:
    st.caption(ui.tr("guidance.on_demand"))
if not found:
    st.info(ui.tr("guidance.none"))
org_names = ui.names().short
shown, more = page(found, PAGE_SIZE)
if more:
    st.caption(ui.tr("guidance.more", n=more))
    if st.toggle(ui.tr("guidance.show_all"), key="guidance_all"):
        shown = found
for i, ins in enumerate(shown):
    severity = ui.tr(f"guidance.severity.{ins.severity}")
    node = org_names.get(ins.org_id, ins.org_id)
    badge = f" · {ui.tr('guidance.standing_badge')}" if ins.standing else ""
    topic = f" · {ins.topic(lang)}" if ins.topic(lang) else ""
    head = f"[{severity}] {ins.title(lang)} · {node}{topic}{badge}"
    # the evidence chart is drawn when its insight is opened (a rerun), not for every insight listed
    box = st.expander(head, expanded=i == 0, key=f"open_{i}_{ins.stable_key()}", on_change="rerun")
    with box:
        st.markdown(ins.text(lang))
        st.caption(ins.baseline(lang))
        st.markdown(f"**{ui.tr('guidance.suggested')}** {ins.action(lang)}")
        fig = ui.evidence(ins, f["org_id"], p) if box.open else None
        if fig is not None:
            st.plotly_chart(fig, key=f"ev_{i}", width="stretch")
        insight_action.button(ins, i, f)  # the loop: cockpit/state/actions.py, pages/actions.py
if user.role == "manager":
    st.subheader(ui.tr("guidance.action_list"))
    ctx = Context(ui.warehouse(), user.scope, f["org_id"], p)
    todo = actions.action_list(ctx, lang)
    reader = ui.names()  # org nodes and managers by name
    named = todo.assign(
        org_id=todo.org_id.map(reader.org), manager_id=todo.manager_id.map(reader.org)
    )
    pages = max(1, -(-len(named) // actions.PAGE_ROWS))
    at = int(
        st.number_input(
            ui.tr("guidance.action_page", pages=pages, size=actions.PAGE_ROWS),
            1,
            pages,
            1,
            key="action_page",
        )
    )
    here = named.iloc[(at - 1) * actions.PAGE_ROWS : at * actions.PAGE_ROWS]
    st.dataframe(
        action_list.for_display(here, lang), hide_index=True, width="stretch", key="action_table"
    )

    def _export(kind: str) -> bytes:
        appstate.audit(
            user.username, "action_list_downloaded", org_id=f["org_id"], format=kind, rows=len(todo)
        )
        return actions.to_csv(todo, lang) if kind == "csv" else actions.to_xlsx(todo, lang)

    c1, c2 = st.columns(2)
    c1.download_button(
        ui.tr("guidance.export_csv"),
        data=lambda: _export("csv"),
        file_name="actions.csv",
        mime="text/csv",
        key="dl_actions_csv",
        on_click="ignore",
    )
    c2.download_button(
        ui.tr("guidance.export_xlsx"),
        data=lambda: _export("xlsx"),
        file_name="actions.xlsx",
        key="dl_actions_xlsx",
        on_click="ignore",
    )
