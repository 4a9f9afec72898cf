"""Every page, both report formats and `cockpit deliver` on a warehouse holding only one UCI file: bank.csv
(dated by the explicit `latest` year rule) or bank-additional.csv (dated by its economic context). The
figures the pages show are checked against an independent pandas count of the file: by channel, by month
with its year, by previous outcome, by job and by age band."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cockpit.core import i18n
from cockpit.core.periods import Period
from cockpit.domain import metrics
from cockpit.reports import batch, data
from cockpit.warehouse.layer import Scope, open_warehouse
from seed.ingest import importer
from tests.rendered import each_tab

DATA = Path(__file__).parent / "fixtures" / "uci_bank_marketing"
EXEC = Scope("t", "executive", ("HO",))
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
SOURCES = {
    "bank": ("bank.csv", "uci_bank_marketing", {"year_rule": "latest"}),
    "additional": ("bank-additional.csv", "uci_bank_additional", None),
}


def pandas_view(name: str) -> pd.DataFrame:
    """The file as pandas reads it, with the contact month's year worked out from the stated rule."""
    csv = pd.read_csv(DATA / SOURCES[name][0], sep=";")
    month = csv.month.map({m: i + 1 for i, m in enumerate(MONTHS)})
    latest = np.where(month <= 11, 2010, 2009)  # the span ends in November 2010
    if name == "bank":
        year = latest
    else:  # each month's distinct employment levels, highest first, are its years up to the latest
        levels = csv.groupby("month")["nr.employed"].apply(lambda s: sorted(set(s), reverse=True)).to_dict()
        year = [
            y - (len(levels[m]) - 1 - levels[m].index(v))
            for y, m, v in zip(latest, csv.month, csv["nr.employed"])
        ]
    never, none = (-1, "unknown") if name == "bank" else (999, "nonexistent")
    earlier = (csv.previous > 0) | (csv.pdays != never)
    return csv.assign(
        ym=[f"{y}-{m:02d}" for y, m in zip(year, month)],
        channel=csv.contact.map(
            {"cellular": "call_mobile", "telephone": "call_landline", "unknown": "call_unknown"}
        ),
        yes=csv.y.eq("yes"),
        prior=np.where(earlier, csv.poutcome.replace({none: "unknown"}), "none"),
        age_band=pd.cut(
            csv.age,
            [0, 25, 35, 45, 55, 65, 200],
            right=False,
            labels=["<25", "25-34", "35-44", "45-54", "55-64", "65+"],
        ).astype(str),
    )


@pytest.fixture(scope="module", params=sorted(SOURCES))
def source(request, tmp_path_factory) -> tuple[str, Path, pd.DataFrame]:
    file, mapping, rules = SOURCES[request.param]
    target = tmp_path_factory.mktemp(request.param) / "w.duckdb"
    importer.import_file(DATA / file, mapping, target, rules=rules)
    return request.param, target, pandas_view(request.param)


def busiest(csv: pd.DataFrame) -> str:
    return csv.ym.value_counts().idxmax()


def counts(csv: pd.DataFrame, key: str) -> pd.DataFrame:
    g = csv.groupby(key)
    return pd.DataFrame({"customers": g.size(), "converted": g.yes.sum()}).sort_index()


def test_conversion_by_channel_month_outcome_job_and_age_band_equals_pandas(source):
    _, target, csv = source
    wh = open_warehouse(str(target))
    for breakdown, key in (
        ("channel", "channel"),
        ("month", "ym"),
        ("prior_outcome", "prior"),
        ("job", "job"),
        ("age_band", "age_band"),
    ):
        got = wh.run(
            "funnel_conversion",
            EXEC,
            {
                "org_id": "HO",
                "start": dt.date(2008, 1, 1),
                "end": dt.date(2010, 12, 31),
                "breakdown": breakdown,
            },
        ).set_index("dimension")[["customers", "converted"]]
        want = counts(csv, key)
        assert got.index.tolist() == want.index.tolist(), breakdown
        assert got.astype(int).to_dict() == want.astype(int).to_dict(), breakdown


def page(app, monkeypatch, target: Path, path: str, period: str, lang: str = "en"):
    monkeypatch.setenv("COCKPIT_WAREHOUSE", str(target))
    kind = "year" if len(period) == 4 else "month"
    at = app("exec", lang=lang, state={"f_kind": kind, "f_period": period})
    assert at.session_state["f_period"] == period
    if path != "app.py":
        at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def test_the_period_picker_reaches_the_first_month_with_data(source, app, monkeypatch):
    _, target, csv = source
    monkeypatch.setenv("COCKPIT_WAREHOUSE", str(target))
    at = app("exec")
    options = at.selectbox(key="f_period").options
    assert min(csv.ym) in options and max(csv.ym) == options[0]
    years = app("exec", state={"f_kind": "year"}).selectbox(key="f_period").options
    assert years[-1] == min(csv.ym)[:4] and years[0] == max(csv.ym)[:4]


@pytest.mark.parametrize("kind", ["month", "year"])
def test_overview_actions_and_active_customers_equal_pandas(source, app, monkeypatch, kind):
    _, target, csv = source
    period = (
        busiest(csv) if kind == "month" else busiest(csv)[:4]
    )  # a year: read from the distinct-customer mart
    at = page(app, monkeypatch, target, "app.py", period)
    tiles = {m.label: m.value for m in at.metric}
    rows = csv[csv.ym.str.startswith(period)]
    assert tiles[metrics.get("actions").name("en")] == i18n.count(int(rows.yes.sum()), "en")
    assert tiles[metrics.get("active_customers").name("en")] == i18n.count(len(rows), "en")


def test_sicas_funnel_and_attribute_conversion_equal_pandas(source, app, monkeypatch):
    _, target, csv = source
    month = busiest(csv)
    at = page(app, monkeypatch, target, "pages/sicas.py", month)
    rows = csv[csv.ym == month]
    funnel = at.dataframe[0].value
    got = dict(zip(funnel["Stage"], funnel["Customers"]))
    assert got["Sense"] == i18n.count(len(rows), "en") and got["Action"] == i18n.count(
        int(rows.yes.sum()), "en"
    )
    hours = funnel.filter(like="hours").astype(str)
    assert not hours.isin(["0.0", "0"]).any().any()  # the source has no timing: no data, not 0.0 hours
    options = at.selectbox(key="sicas_attr").options
    assert options[:3] == [i18n.t(f"sicas.attr.{a}", "en") for a in ("prior_outcome", "job", "age_band")]
    for attr, key in (("job", "job"), ("age_band", "age_band"), ("prior_outcome", "prior")):
        at.selectbox(key="sicas_attr").set_value(attr).run()
        table = next(d.value for d in at.dataframe if "Customers reached" in d.value.columns)
        want = counts(rows, key)
        if attr == "age_band":  # youngest first, as read
            want = want.loc[
                [b for b in ["<25", "25-34", "35-44", "45-54", "55-64", "65+"] if b in want.index]
            ]
        want = want.rename(index={"none": "not contacted before"})
        assert table["Value"].tolist() == want.index.tolist(), attr
        assert table["Customers reached"].tolist() == [i18n.count(int(n), "en") for n in want.customers]
        assert table["Customers with an Action"].tolist() == [
            i18n.count(int(n), "en") for n in want.converted
        ]
        assert table["Conversion"].tolist() == [
            i18n.pct(c / n, "en") for c, n in zip(want.converted, want.customers)
        ]


def test_return_flow_from_earlier_campaigns_equals_pandas(source, app, monkeypatch):
    _, target, csv = source
    month = busiest(csv[csv.prior != "none"])  # the month with the most clients from earlier campaigns
    at = page(app, monkeypatch, target, "pages/channels.py", month)
    rows = csv[(csv.ym == month) & (csv.prior != "none")]
    want = rows.prior.value_counts()
    shown = next(
        d.value
        for view in each_tab(at)  # the return flow is on the referrals tab
        for d in view.dataframe
        if d.value.astype(str).isin(["From an earlier campaign (by its outcome)"]).any().any()
    )
    flow = shown[shown.iloc[:, 0] == "From an earlier campaign (by its outcome)"]
    labels = {o: i18n.t(f"channels.return.prior_{o}", "en") for o in want.index}
    got = dict(zip(flow.iloc[:, 1], flow.iloc[:, 2]))
    assert got == {labels[o]: i18n.count(int(n), "en") for o, n in want.items()}


@pytest.mark.parametrize(
    "path",
    [
        "pages/targets.py",
        "pages/scorecard.py",
        "pages/guidance.py",
        "pages/reports.py",
        "pages/actions.py",
        "pages/subscriptions.py",
    ],
)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_other_page_renders_on_the_imported_warehouse(source, app, monkeypatch, path, lang):
    _, target, csv = source
    at = page(app, monkeypatch, target, path, busiest(csv), lang)
    assert not at.error, [e.value for e in at.error]  # no scope refusal, no failure message


@pytest.mark.parametrize("fmt", ["pdf", "xlsx"])
def test_both_report_formats_carry_the_files_figures(source, fmt):
    _, target, csv = source
    wh = open_warehouse(str(target))
    as_of = pd.Timestamp(wh.sql("select as_of from warehouse_info").as_of.iloc[0]).date()
    year = Period.parse(busiest(csv)[:4], as_of)
    r = data.collect(wh, EXEC, "HO", year, "en")
    stages = r.funnel.set_index("stage").customers
    rows = csv[csv.ym.str.startswith(busiest(csv)[:4])]
    assert (stages["S"], stages["A"]) == (len(rows), int(rows.yes.sum()))
    body = batch.render(r, fmt)
    assert body[:4] == (b"%PDF" if fmt == "pdf" else b"PK\x03\x04")


def test_cockpit_deliver_sends_the_report_of_an_imported_warehouse(source, bank, monkeypatch, capsys):
    from cockpit.delivery import subscriptions
    from cockpit.ops import cli
    from cockpit.state import auth

    _, target, _ = source
    monkeypatch.setenv("COCKPIT_WAREHOUSE", str(target))
    execu = auth.get_user("exec")
    sub = subscriptions.create(
        open_warehouse(str(target)), execu, "HO", "pdf", "monthly", [("ops@bank.example", "exec")], "en"
    )
    try:
        assert cli.main(["deliver", "--now", "--dry-run", "--db", str(target)]) == 0
        mine = [line for line in capsys.readouterr().out.splitlines() if f"#{sub.id} " in line]
        assert mine and all("ops@bank.example" in line for line in mine)
        assert not any(line.split()[0] in ("failed", "skipped") for line in mine), mine
    finally:
        subscriptions.set_active(execu, sub.id, False)


def test_the_picker_reaches_back_to_the_first_period_and_offers_the_recent_ones_at_least():
    from cockpit.core.periods import periods_back_to

    assert periods_back_to("month", dt.date(2010, 11, 30), dt.date(2008, 5, 5)) == 31
    assert periods_back_to("quarter", dt.date(2010, 11, 30), dt.date(2008, 5, 5)) == 11
    assert periods_back_to("year", dt.date(2010, 11, 30), dt.date(2008, 5, 5)) == 3
    assert periods_back_to("month", dt.date(2026, 11, 30), dt.date(2026, 1, 1)) == 24  # at least two years
    assert periods_back_to("year", dt.date(2026, 11, 30), None) == 2


def test_the_org_picker_label_of_the_other_language_is_not_a_scope_refusal(source, app, monkeypatch):
    _, target, _ = source
    monkeypatch.setenv("COCKPIT_WAREHOUSE", str(target))
    at = app("exec", lang="en", state={"f_org": "总行"})  # the zh label the picker hands back after a switch
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["f_org"] == "HO"
    # A node that does not exist is still refused, and named so to the executive, who sees the whole tree.
    refused = app("exec", lang="en", state={"f_org": "R99"})
    assert any("R99" in e.value and "Unknown org" in e.value for e in refused.error)


def test_contradictory_rows_are_named_in_the_notes(source):
    name, _, csv = source
    file, mapping, rules = SOURCES[name]
    never, none = (-1, "unknown") if name == "bank" else (999, "nonexistent")
    frame, _ = importer.read_source(DATA / file, importer.load_mapping(mapping))
    from seed.ingest import uci_bank

    typed, problems = importer.validate(frame, importer.load_mapping(mapping), file)
    assert not problems
    notes = dict(uci_bank.contradictions(typed, {**importer.load_mapping(mapping)["rules"], **(rules or {})}))
    without_days = csv[(csv.poutcome != none) & (csv.pdays == never)]
    if len(without_days):
        assert notes["import.note.contradiction.outcome_without_days"] == {
            "rows": f"{len(without_days):,}",
            "first": int(without_days.index[0]) + 2,
        }
    else:
        assert "import.note.contradiction.outcome_without_days" not in notes


def test_the_import_page_offers_the_year_rule_of_a_source_without_a_year(app):
    at = app("admin")
    at.switch_page("pages/admin_import.py").run()
    at.selectbox(key="import_mapping").set_value("uci_bank_marketing").run()
    assert not at.exception
    assert at.radio(key="import_year_rule_uci_bank_marketing").value == "ordered"
    at.selectbox(key="import_mapping").set_value("uci_bank_additional").run()
    assert at.radio(key="import_year_rule_uci_bank_additional").value == "context"


def test_the_demo_bank_shows_no_import_only_sections(app):
    at = app("exec")  # the xs demo bank: no earlier campaigns, no source attributes
    assert not any(i18n.t("import.no_data.prior_outcomes", "en") in i.value for i in at.info)
    at.switch_page("pages/sicas.py").run()
    assert not at.exception
    assert i18n.t("sicas.attr.title", "en") not in [s.value for s in at.subheader]
    at.switch_page("pages/channels.py").run()
    prior = i18n.t("channels.source.prior_outcomes", "en")
    assert not any(prior in i.value for view in each_tab(at) for i in view.info)


def test_a_year_rule_for_a_mapping_that_has_none_is_refused_on_the_command_line(tmp_path, capsys):
    from cockpit.ops import cli

    code = cli.main(
        [
            "import",
            str(DATA / "bank.csv"),
            "--mapping",
            "customers",
            "--year-rule",
            "latest",
            "--db",
            str(tmp_path / "w.duckdb"),
        ]
    )
    assert code == 2
    assert "a year rule applies only to a source without a year" in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()


def test_the_metric_dictionary_agrees_with_pandas_and_says_no_data_for_what_the_file_lacks(source):
    _, target, csv = source
    month = busiest(csv)
    start = dt.date.fromisoformat(f"{month}-01")
    end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
    got = (
        open_warehouse(str(target))
        .run("metric_values", EXEC, {"start": start, "end": end, "parent": "HO"})
        .query("org_id == 'HO'")
        .set_index("metric")
        .value
    )
    rows = csv[csv.ym == month]
    assert (got["actions"], got["active_customers"]) == (rows.yes.sum(), len(rows))
    for lacking in ("sales", "fee_income", "new_customers", "upgrades", "aum", "deposits"):
        assert pd.isna(got[lacking]), lacking


def test_a_success_without_days_since_the_contact_is_imported_and_named(tmp_path):
    csv = pd.read_csv(DATA / "bank.csv", sep=";").head(40)
    csv.loc[1, ["poutcome", "pdays", "previous"]] = ["success", -1, 2]  # file row 3
    path = tmp_path / "bank_contradiction.csv"
    csv.to_csv(path, sep=";", index=False)
    result = importer.import_file(
        path, "uci_bank_marketing", tmp_path / "w.duckdb", rules={"year_rule": "latest"}
    )
    notes = dict(result.notes)
    assert notes["import.note.contradiction.outcome_without_days"] == {"rows": "1", "first": 3}
    assert "1 rows have an earlier campaign's outcome but no days" in i18n.t(
        "import.note.contradiction.outcome_without_days",
        "en",
        **notes["import.note.contradiction.outcome_without_days"],
    )
    prior = open_warehouse(str(tmp_path / "w.duckdb")).sql(
        "select * from prior_outcomes where customer_id = 2"
    )
    assert (
        prior.outcome.tolist() == ["success"] and prior.estimated_date.isna().all()
    )  # kept, no date guessed
