"""Admin: the delivery log of subscribed reports — what was sent to whom, what failed and why,
what was withheld.
"""

import pandas as pd
import streamlit as st

from cockpit.app import signin, ui
from cockpit.delivery import subscriptions as subs

ui.require_entrypoint()  # before anything: this page may have been asked for directly
signin.require_role("admin")  # its own check, whatever the navigation offered
st.title(ui.tr("page.admin_delivery"))
st.caption(ui.tr("loop.log.caption"))
log = pd.DataFrame(subs.delivery_log())
statuses = ["all", "sent", "failed", "skipped", "dry_run"]
status_labels = {s: ui.tr(f"loop.log.{s}") for s in statuses}
pick = st.radio(
    ui.tr("loop.log.status"),
    statuses,
    horizontal=True,
    key="log_status",
    format_func=status_labels.get,
)
if log.empty:
    st.info(ui.tr("loop.log.empty"))
else:
    shown = log if pick == "all" else log[log.status == pick]
    st.dataframe(shown, hide_index=True, width="stretch", key="log_table")
