"""Admin: import the bank's own extract through a mapping, validated first, all or nothing."""

import pandas as pd
import streamlit as st

from cockpit.app import chrome, signin, ui
from cockpit.core import config, i18n
from cockpit.display import labels
from seed.ingest import importer

ui.require_entrypoint()  # before anything: this page may have been asked for directly
signin.require_role("admin")  # its own check, whatever the navigation offered
st.title(ui.tr("import.page"))
st.caption(ui.tr("import.caption"))
mapping = st.selectbox(
    ui.tr("import.mapping"),
    importer.mapping_names(),
    key="import_mapping",
    help=ui.tr("import.mapping_help"),
)
spec = importer.load_mapping(mapping)
described = labels.label(
    "mapping", mapping, ui.lang()
)  # the mapping's description in the reader's language
st.caption(described if described != mapping else spec.get("description", ""))
if spec.get("adapter"):
    st.warning(ui.tr("import.replaces"))
else:
    st.caption(ui.tr("import.upserts", table=spec["table"]))
rules = None
if "year_rule" in (
    spec.get("rules") or {}
):  # a source without a year: its rule is chosen, never guessed
    year_rules = {r: ui.tr(f"import.year_rule.{r}") for r in importer.YEAR_RULES}
    chosen = st.radio(
        ui.tr("import.year_rule"),
        list(year_rules),
        index=list(year_rules).index(spec["rules"]["year_rule"]),
        key=f"import_year_rule_{mapping}",  # each mapping starts from its own rule
        format_func=year_rules.get,
    )
    rules = {"year_rule": chosen}
upload = st.file_uploader(
    ui.tr("import.upload", mb=chrome.upload_limit_mb()),
    type=["csv", "txt", "tsv", "parquet", "xlsx"],
    key="import_file",
)
go = st.button(ui.tr("import.button"), key="import_go", type="primary", disabled=upload is None)
st.caption(ui.tr("import.cli_hint"))
if go and upload is not None:
    bar = st.progress(0.0, text=ui.tr("import.working"))
    try:
        result = importer.import_upload(
            upload.name,
            upload.getvalue(),
            mapping,
            config.warehouse_target(),
            rules=rules,
            progress=lambda step, frac: bar.progress(
                min(max(frac, 0.0), 1.0), text=ui.tr(f"import.step.{step}")
            ),
        )
    except importer.ImportRejected as e:
        st.error(ui.tr("import.refused", n=len(e.problems)))
        st.subheader(ui.tr("import.report"))
        labels = {c: ui.tr(f"import.col_{c}") for c in ("file", "row", "column", "problem")}
        st.dataframe(
            e.report().rename(columns=labels), hide_index=True, width="stretch", key="import_report"
        )
        st.stop()
    except (ValueError, OSError) as e:
        st.error(ui.tr("import.error", detail=str(e)))
        st.stop()
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
    if result.changed:
        st.success(
            ui.tr(
                "import.done",
                source=result.source,
                seconds=i18n.fmt(result.seconds, "score", ui.lang()),
            )
        )
    else:
        st.info(ui.tr("import.unchanged"))
    for key, values in result.notes:
        st.caption(ui.tr(key, **values))
    st.subheader(ui.tr("import.rows"))
    rows = pd.DataFrame(
        {
            ui.tr("import.col_table"): list(result.rows),
            ui.tr("import.col_rows"): list(result.rows.values()),
        }
    )
    st.dataframe(rows, hide_index=True, width="stretch", key="import_rows")
