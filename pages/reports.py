"""Reports: the PDF and Excel report of the chosen node and period, generated on click for exactly
the user's scope; each download is recorded in the audit log."""

import streamlit as st

from cockpit.app import ui
from cockpit.reports import batch, data, preview
from cockpit.state import appstate

f = ui.filters()
p, lang, user = f["period"], ui.lang(), ui.current_user()
st.title(ui.tr("report.page"))
st.caption(ui.tr("report.page_caption", org=f["org_name"], period=p.label))


def _make(fmt: str) -> bytes:
    r = data.collect(ui.warehouse(), user.scope, f["org_id"], p, lang)
    appstate.audit(
        user.username, "report_downloaded", org_id=f["org_id"], period=p.label, format=fmt
    )
    return batch.render(r, fmt)


st.markdown(ui.tr("report.contains"))
st.markdown("\n".join(f"- {ui.tr(key)}" for key in preview.SECTIONS))
if st.button(ui.tr("report.preview"), key="report_preview"):  # built only when asked for
    with st.spinner(ui.tr("report.preview_making")):
        pdf = batch.render(data.collect(ui.warehouse(), user.scope, f["org_id"], p, lang), "pdf")
        try:
            st.image(preview.first_page(pdf), caption=ui.tr("report.preview_caption"), width=320)
        except preview.PreviewUnavailable as e:
            st.warning(str(e))
c1, c2 = st.columns(2)
c1.download_button(
    ui.tr("report.download_pdf"),
    data=lambda: _make("pdf"),
    mime="application/pdf",
    file_name=batch.file_name(f["org_id"], p, "pdf"),
    key="dl_report_pdf",
    on_click="ignore",
)
c2.download_button(
    ui.tr("report.download_xlsx"),
    data=lambda: _make("xlsx"),
    file_name=batch.file_name(f["org_id"], p, "xlsx"),
    key="dl_report_xlsx",
    on_click="ignore",
)
