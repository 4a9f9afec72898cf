"""Admin: the users, their roles and org nodes, and the audit log."""

import streamlit as st

from cockpit.app import signin, ui
from cockpit.display import audit
from cockpit.state import appstate, auth

ui.require_entrypoint()  # before anything: this page may have been asked for directly
signin.require_role("admin")  # its own check, whatever the navigation offered
st.title(ui.tr("page.admin_users"))
names = ui.names()
st.dataframe(audit.users(auth.list_users(), ui.lang(), names), hide_index=True, width="stretch")
st.caption(ui.tr("admin.users_cli"))
st.subheader(ui.tr("admin.audit"))
log = appstate.audit_entries()
if not log:
    st.info(ui.tr("empty.audit"))
else:
    st.dataframe(audit.log(log, ui.lang(), names), hide_index=True, width="stretch")
