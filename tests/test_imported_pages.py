"""The SICAS and channel pages on a warehouse imported from UCI Bank Marketing: sections whose source the data
lacks say "no data for this source" (in both languages) instead of showing 0, and the funnel the page shows
still equals pandas on bank.csv under the stage rules of seed/ingest/IMPORT.md."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cockpit.core import i18n
from cockpit.warehouse.layer import open_warehouse
from seed.ingest import importer
from tests.rendered import each_tab

BANK_CSV = Path(__file__).parent / "fixtures" / "uci_bank_marketing" / "bank.csv"
RULES = importer.load_mapping("uci_bank_marketing")["rules"]


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("uci_pages") / "w.duckdb"
    importer.import_file(BANK_CSV, "uci_bank_marketing", target, rules={"year_rule": "latest"})
    return target


def page(app, monkeypatch, imported: Path, path: str, lang: str):
    monkeypatch.setenv("COCKPIT_WAREHOUSE", str(imported))
    at = app("exec", lang=lang)
    at.switch_page(path).run()
    assert not at.exception
    return at


def no_data_prefix(lang: str) -> str:
    return i18n.t("channels.no_data", lang, sources="").split("：")[0].split(":")[0]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_channel_page_says_no_data_for_each_absent_source(app, monkeypatch, imported, lang):
    at = page(app, monkeypatch, imported, "pages/channels.py", lang)
    infos, metrics, tables = [], {}, []
    for view in each_tab(at):  # each tab is drawn when it is open
        infos += [i.value for i in view.info]
        metrics.update({m.label: m.value for m in view.metric})
        tables += [d.value.to_string() for d in view.dataframe]
    infos = " ".join(infos)
    for source in ("service_records", "referrals", "lifecycle_changes", "online", "wecom"):
        assert i18n.t(f"channels.source.{source}", lang) in infos, source
    assert infos.count(no_data_prefix(lang)) >= 5
    assert metrics[i18n.t("channels.unified_share", lang)] == i18n.t("channels.no_data_short", lang)
    assert i18n.t("channels.col.contacts_added", lang) not in metrics  # no WeCom figures at all
    assert "0.0%" not in metrics.values()
    shown = " ".join(tables)
    assert (
        i18n.t("channels.return.won_back", lang) not in shown
        and i18n.t("channels.return.back_online", lang) not in shown
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sicas_page_says_no_data_for_share_and_shows_no_zero_share_row(app, monkeypatch, imported, lang):
    at = page(app, monkeypatch, imported, "pages/sicas.py", lang)
    assert any(
        i18n.t("channels.source.share", lang) in i.value and no_data_prefix(lang) in i.value for i in at.info
    )
    funnel = at.dataframe[0].value
    assert i18n.t("sicas.stage.share", lang) not in set(funnel[i18n.t("sicas.col.stage", lang)])
    assert i18n.t("sicas.by.segment", lang) not in at.selectbox(key="sicas_by").options
    drop = at.dataframe[-1].value
    assert not drop.isna().any().any() and "None" not in drop.astype(str).values


def test_sicas_figures_on_the_imported_page_equal_pandas_on_bank_csv(app, monkeypatch, imported):
    at = page(app, monkeypatch, imported, "pages/sicas.py", "en")
    as_of = open_warehouse(str(imported)).sql("select as_of from warehouse_info")["as_of"].iloc[0]
    assert pd.Timestamp(as_of).strftime("%Y-%m") in at.caption[0].value  # the page opens on the as-of month
    csv = pd.read_csv(BANK_CSV, sep=";")
    month = pd.Timestamp(as_of).strftime("%b").lower()
    rows = csv[csv.month.eq(month)]  # every month but December lies in the last year (seed/ingest/IMPORT.md)
    yes = rows.y.eq("yes")
    want = {
        "Sense": len(rows),
        "Interest": int((rows.duration.ge(RULES["interest_seconds"]) | yes).sum()),
        "Connect": int((rows.duration.ge(RULES["connect_seconds"]) | yes).sum()),
        "Action": int(yes.sum()),
    }
    funnel = at.dataframe[0].value
    got = dict(zip(funnel["Stage"], funnel["Customers"]))
    assert got == {s: i18n.count(n, "en") for s, n in want.items()}
    assert funnel["% of first stage"].tolist() == [i18n.pct(want[s] / want["Sense"], "en") for s in want]
    assert "None" not in funnel.astype(str).values and not funnel.isna().any().any()
