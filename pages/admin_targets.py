"""Admin: export targets to Excel and import them back, validated with row numbers, all or
nothing."""

import streamlit as st

from cockpit.app import chrome, signin, ui
from cockpit.core import config
from cockpit.ops import targets_io
from cockpit.state import appstate

ui.require_entrypoint()  # before anything: this page may have been asked for directly
signin.require_role("admin")  # its own check, whatever the navigation offered
st.title(ui.tr("page.admin_targets"))
st.caption(ui.tr("admin_targets.format", columns=", ".join(targets_io.COLUMNS)))
st.subheader(ui.tr("admin_targets.export"))
c = st.columns(2)
# Labels computed now: a format_func must not read session state later (AppTest calls it outside
# a run).
kinds = {
    k: ui.tr("admin_targets.all") if k == "all" else ui.tr(f"period.{k}")
    for k in ("all", "month", "quarter", "year")
}
kind = c[0].selectbox(
    ui.tr("filter.period_kind"), list(kinds), key="at_kind", format_func=kinds.get
)
this_year = ui.filters()["as_of"].year
years = {
    0: ui.tr("admin_targets.all"),
    this_year: str(this_year),
    this_year - 1: str(this_year - 1),
}
year = c[1].selectbox(
    ui.tr("admin_targets.year"), list(years), key="at_year", format_func=years.get
)
rows = ui.query("target_list", period_type=kind, year=year)
st.download_button(
    ui.tr("admin_targets.download", n=len(rows)),
    data=lambda: targets_io.export_excel(
        rows
    ),  # built when the button is pressed, not on every load
    file_name="targets.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="at_download",
    on_click="ignore",
)
st.subheader(ui.tr("admin_targets.import"))
label = ui.tr("admin_targets.upload", mb=chrome.upload_limit_mb())
upload = st.file_uploader(label, type=["xlsx"], key="at_upload")
if upload is not None and st.button(ui.tr("admin_targets.apply"), key="at_apply"):
    try:
        n = targets_io.import_excel(
            upload.getvalue(), config.warehouse_target(), ui.warehouse().visible_orgs(ui.scope())
        )
    except targets_io.TargetImportError as e:
        st.error(ui.tr("admin_targets.rejected", n=len(e.errors)))
        st.dataframe({ui.tr("admin_targets.problem"): e.errors}, hide_index=True, width="stretch")
    except targets_io.WarehouseNotWritable as e:
        st.error(ui.tr("admin_targets.not_writable", detail=str(e)))
    else:
        ui.forget_figures()
        appstate.audit(ui.current_user().username, "targets_imported", file=upload.name, rows=n)
        st.success(ui.tr("admin_targets.done", n=n))
