"""Reports: the PDF and Excel report of the chosen node and period, generated on click for exactly
the user's scope; each download is recorded in the audit log."""

import streamlit as st

from cockpit.app import ui
from cockpit.reports import batch, data
from cockpit.state import appstate

f = ui.filters()
p, lang, user = f["period"], ui.lang(), ui.current_user()
st.title(ui.tr("report.page"))
st.caption(ui.tr("report.page_caption", org=f["org_name"], period=p.label))


def _make(fmt: str) -> bytes:
    r = data.collect(ui.warehouse(), user.scope, f["org_id"], p, lang)
    appstate.audit(user.username, "report_downloaded", org_id=f["org_id"], period=p.label, format=fmt)
    return batch.render(r, fmt)


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
