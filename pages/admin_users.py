"""Admin: the users, their roles and org nodes, and the audit log."""

import pandas as pd
import streamlit as st

from cockpit.app import signin, ui
from cockpit.state import appstate, auth

ui.require_entrypoint()  # before anything: this page may have been asked for directly
signin.require_role("admin")  # its own check, whatever the navigation offered
st.title(ui.tr("page.admin_users"))
users = pd.DataFrame(
    [
        {
            "username": u.username,
            "name": u.name,
            "role": u.role,
            "orgs": ", ".join(u.org_ids),
            "locked": u.locked(),
        }
        for u in auth.list_users()
    ]
)
st.dataframe(users, hide_index=True, width="stretch")
st.caption(ui.tr("admin.users_cli"))
st.subheader(ui.tr("admin.audit"))
log = pd.DataFrame(appstate.audit_entries())
if log.empty:
    st.info(ui.tr("empty.audit"))
else:
    st.dataframe(log, hide_index=True, width="stretch")
