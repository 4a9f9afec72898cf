"""UCI Bank Marketing imported as a real source: the cockpit's conversion figures equal pandas on the CSV,
the derived rules hold, what the data lacks stays empty ("no data"), and the full-size file of the
same schema goes through unchanged."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from test_import import snapshot

from cockpit.core import i18n
from cockpit.warehouse import queries, schema
from cockpit.warehouse.layer import Scope, Warehouse, open_warehouse
from seed.ingest import importer

BANK_CSV = Path(__file__).parent / "fixtures" / "uci_bank_marketing" / "bank.csv"  # the UCI sample, unchanged
MAPPING = importer.load_mapping("uci_bank_marketing")
EXEC = Scope("t", "executive", ("HO",))
MONTHS = dict(MAPPING["columns"]["month"]["values"].items())
LATEST = {"year_rule": "latest"}  # bank.csv is a shuffled sample: its year rule is chosen, not guessed


@pytest.fixture(scope="module")
def csv() -> pd.DataFrame:
    return pd.read_csv(BANK_CSV, sep=";")


@pytest.fixture(scope="module")
def uci(tmp_path_factory) -> tuple[Path, importer.ImportResult]:
    target = tmp_path_factory.mktemp("uci") / "w.duckdb"
    return target, importer.import_file(BANK_CSV, "uci_bank_marketing", target, rules=LATEST)


@pytest.fixture(scope="module")
def wh(uci) -> Warehouse:
    return open_warehouse(str(uci[0]))


def as_of(wh: Warehouse) -> dt.date:
    return pd.Timestamp(wh.sql("select as_of from warehouse_info")["as_of"].iloc[0]).date()


def conversion(wh: Warehouse, breakdown: str) -> pd.DataFrame:
    return wh.run(
        "funnel_conversion",
        EXEC,
        {
            "org_id": "HO",
            "start": dt.date(2000, 1, 1),
            "end": as_of(wh),
            "breakdown": breakdown,
            "campaign_id": MAPPING["rules"]["campaign_id"],
        },
    )


def expected(csv: pd.DataFrame, key: pd.Series) -> pd.DataFrame:
    g = csv.assign(k=key, yes=csv.y.eq("yes")).groupby("k")
    return pd.DataFrame({"customers": g.size(), "converted": g.yes.sum(), "conversion": g.yes.mean()})


def check_equal(got: pd.DataFrame, want: pd.DataFrame) -> None:
    got = got.set_index("dimension").sort_index()
    want = want.sort_index()
    assert list(got.index) == list(want.index)
    assert got.customers.tolist() == want.customers.tolist()
    assert got.converted.tolist() == want.converted.tolist()
    assert np.allclose(got.conversion, want.conversion)


def test_conversion_by_contact_channel_equals_pandas_on_the_csv(wh, csv):
    check_equal(
        conversion(wh, "channel"), expected(csv, csv.contact.map(MAPPING["columns"]["contact"]["values"]))
    )


def test_conversion_by_month_equals_pandas_on_the_csv(wh, csv):
    got = conversion(wh, "month")
    assert got.dimension.str.match(r"^\d{4}-\d{2}$").all()
    got["dimension"] = got.dimension.str[5:].astype(int)
    check_equal(got, expected(csv, csv.month.map(MONTHS)))


def test_every_campaign_converts_as_the_term_deposit_campaign(wh, csv):
    # earlier campaigns are not events: the default campaign_id=all reads the same figures
    for breakdown in ("channel", "prior_outcome"):
        every = wh.run(
            "funnel_conversion",
            EXEC,
            {"org_id": "HO", "start": dt.date(2000, 1, 1), "end": as_of(wh), "breakdown": breakdown},
        )
        pd.testing.assert_frame_equal(every, conversion(wh, breakdown))


def test_conversion_by_previous_outcome_equals_pandas_on_the_csv(wh, csv):
    # a client never contacted before (poutcome unknown, pdays -1) has no earlier outcome: 'none'
    assert (csv.poutcome.eq("unknown") == csv.pdays.eq(-1)).all()
    check_equal(conversion(wh, "prior_outcome"), expected(csv, csv.poutcome.replace("unknown", "none")))


def test_a_shuffled_file_is_refused_under_the_ordered_year_rule(tmp_path):
    target = tmp_path / "w.duckdb"
    with pytest.raises(
        importer.ImportRejected,
        match=r"bank.csv, row 6, column 'month': year rule 'ordered': may after jun puts this contact in "
        r"2011-05, outside 2008-05 to 2010-11: the rows are not in date order; choose the year rule 'latest'",
    ):
        importer.import_file(BANK_CSV, "uci_bank_marketing", target)
    assert not target.exists()  # refused before the warehouse is opened


def test_bank_csv_under_the_latest_rule_places_each_month_in_its_latest_year(wh, csv, uci):
    dates = pd.to_datetime(
        wh.sql("select last_active_date from customers order by customer_id").last_active_date
    )
    assert (dates.dt.month.to_numpy() == csv.month.map(MONTHS).to_numpy()).all()
    assert (dates.dt.day.to_numpy() == csv.day.to_numpy()).all()
    assert (dates.dt.year.to_numpy() == np.where(csv.month.eq("dec"), 2009, 2010)).all()
    assert ("import.note.year_folded", {"first": "2008-05", "last": "2010-11"}) in uci[1].notes


def test_warehouse_info_names_the_source_and_the_last_contact_day(wh, csv):
    info = wh.sql("select * from warehouse_info")
    assert info.source.tolist() == ["import:uci_bank_marketing"]
    day = as_of(wh)
    assert (day.year, day.month) == (2010, 11)
    assert day.day == csv[csv.month.eq("nov")].day.max()


def test_stages_follow_the_documented_rule(wh, csv):
    stages = wh.sql(
        "select stage, count(distinct customer_id) as n from events where campaign_id = 'UCI_TD' "
        "group by stage"
    )
    n = dict(zip(stages.stage, stages.n))
    r, yes = MAPPING["rules"], csv.y.eq("yes")
    assert n == {
        "S": len(csv),
        "I": int((csv.duration.ge(r["interest_seconds"]) | yes).sum()),
        "C": int((csv.duration.ge(r["connect_seconds"]) | yes).sum()),
        "A": int(yes.sum()),
    }


def test_earlier_campaigns_are_kept_apart_with_their_estimated_date(wh, csv):
    prior = wh.sql("""select p.customer_id, p.outcome, p.contacts, p.days_before, p.estimated_date,
                      k.last_active_date from prior_outcomes p join customers k using (customer_id)
                      order by p.customer_id""")
    back = csv[csv.pdays >= 0]
    assert len(prior) == len(back)
    assert prior.outcome.tolist() == back.poutcome.tolist()
    assert prior.contacts.tolist() == back.previous.tolist()
    gap = (pd.to_datetime(prior.last_active_date) - pd.to_datetime(prior.estimated_date)).dt.days
    assert gap.tolist() == back.pdays.tolist() == prior.days_before.tolist()
    # no derived event among the period's events: only the term-deposit campaign's stages
    assert wh.sql("select distinct campaign_id from events").campaign_id.tolist() == ["UCI_TD"]
    assert wh.sql("select count(*) as n from events where stage = 'A'").n.iloc[0] == csv.y.eq("yes").sum()


def test_balance_is_the_aum_proxy(wh, csv):
    assert wh.sql("select sum(aum) as s from customers").s.iloc[0] == pytest.approx(csv.balance.sum())


def test_what_the_data_lacks_stays_empty_and_every_table_exists(wh):
    counts = {t: int(wh.sql(f"select count(*) as n from {t}").n.iloc[0]) for t in schema.tables()}
    for table in ("referrals", "balances_daily", "targets", "service_records", "staff", "lifecycle_changes"):
        assert counts[table] == 0, table
    groups = set(wh.sql("select channel_group from channels").channel_group)
    assert groups == {"remote"}
    assert (
        wh.sql(
            "select count(*) as n from customers where segment is not null or opened_date is not null"
        ).n.iloc[0]
        == 0
    )
    orgs = wh.sql("select org_id, level from orgs order by level")
    assert orgs.org_id.tolist() == ["HO", "UCI"]


def test_data_coverage_says_which_data_is_missing(wh):
    day = as_of(wh)
    cov = wh.run("data_coverage", EXEC, {"org_id": "HO", "start": day.replace(day=1), "end": day}).set_index(
        "dataset"
    )
    assert (
        not cov.has_data.astype(bool)
        .loc[["balances_daily", "referrals", "targets", "service_records", "customer_opened"]]
        .any()
    )
    assert (
        cov.has_data.astype(bool).loc[["events", "customers", "prior_outcomes", "customer_attributes"]].all()
    )
    assert cov.rows_total.loc["customers"] == 4_521


def _sample(q, day: dt.date) -> dict:
    values = {"org": "HO", "date": day, "int": 7, "float": 1.0, "bool": True, "str": "all"}
    out = {p.name: (p.choices[0] if p.choices else values[p.type]) for p in q.params if p.default is None}
    for a, _ in (("start", "end"), ("prev_start", "prev_end")):
        if a in out:
            out[a] = day.replace(day=1) - (dt.timedelta(days=31) if a.startswith("prev") else dt.timedelta(0))
    return out


@pytest.mark.parametrize("name", sorted(queries.catalogue()))
def test_every_named_query_runs_on_the_imported_warehouse(wh, name):
    wh.run(name, EXEC, _sample(queries.get(name), as_of(wh)))


def test_a_second_import_changes_no_table(uci):
    target, _ = uci
    importer.release_readers(str(target))  # as the import page does: the read-only pool lets go of the file
    before = snapshot(target)
    again = importer.import_file(BANK_CSV, "uci_bank_marketing", target, rules=LATEST)
    assert not again.changed
    assert snapshot(target) == before


def test_a_failed_import_leaves_the_imported_warehouse_as_it_was(uci, tmp_path):
    target, _ = uci
    importer.release_readers(str(target))  # as the import page does: the read-only pool lets go of the file
    before = snapshot(target)
    lines = BANK_CSV.read_text().splitlines()
    bad = tmp_path / "bank_bad.csv"
    bad.write_text("\n".join(lines[:-1] + [re.sub(r'"(no|yes)"$', '"perhaps"', lines[-1])]) + "\n")
    with pytest.raises(
        importer.ImportRejected, match=rf"row {len(lines)}, column 'y': unknown code 'perhaps'"
    ):
        importer.import_file(bad, "uci_bank_marketing", target, rules=LATEST)
    assert snapshot(target) == before


def full_size_file(csv: pd.DataFrame, path: Path, n: int = 45_211) -> pd.DataFrame:
    """A file of bank-full's shape: n rows in date order May 2008 - Nov 2010, values cycled from bank.csv and
    perturbed.
    """
    rng = np.random.default_rng(7)
    df = csv.iloc[np.arange(n) % len(csv)].reset_index(drop=True).copy()
    df["balance"] = df.balance + rng.integers(-50, 50, n)
    df["duration"] = (df.duration + rng.integers(0, 30, n)).clip(lower=0)
    month_index = np.arange(n) * 31 // n  # 31 months, May 2008 .. Nov 2010
    first = pd.Timestamp("2008-05-01")
    starts = pd.DatetimeIndex([first + pd.DateOffset(months=int(i)) for i in month_index])
    pos = pd.Series(np.arange(n)).groupby(month_index).cumcount().to_numpy()
    size = np.bincount(month_index)[month_index]
    days = 1 + pos * 28 // size
    names = {v: k for k, v in MONTHS.items()}
    df["month"] = [names[m] for m in starts.month]
    df["day"] = days
    df.to_csv(path, sep=";", index=False, quoting=1)
    return df.assign(date=starts + pd.to_timedelta(days - 1, unit="D"))


def test_the_full_size_file_of_the_same_schema_imports_unchanged(csv, tmp_path):
    want = full_size_file(csv, tmp_path / "bank-full.csv")
    assert (tmp_path / "bank-full.csv").read_text().splitlines()[0] == BANK_CSV.read_text().splitlines()[0]
    steps = []
    target = tmp_path / "full.duckdb"
    result = importer.import_file(
        tmp_path / "bank-full.csv", "uci_bank_marketing", target, progress=lambda m, f: steps.append((m, f))
    )
    assert result.rows["customers"] == 45_211 and ("import.note.year_ordered", {}) in result.notes
    fractions = [f for _, f in steps]
    assert fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert {m for m, _ in steps} == {
        "reading",
        "validating",
        "writing",
        "marts",
        "commit",
        "checkpoint",
        "done",
    }
    assert all(
        f"import.step.{m}" in i18n.catalogue() for m, _ in steps
    )  # the page shows each step translated
    assert all(key in i18n.catalogue() for key, _ in result.notes)
    con = duckdb.connect(str(target), read_only=True)
    got = pd.to_datetime(
        pd.Series(
            [
                r[0]
                for r in con.execute("select last_active_date from customers order by customer_id").fetchall()
            ]
        )
    )
    info = con.execute("select as_of from warehouse_info").fetchall()[0][0]
    con.close()
    r, yes = MAPPING["rules"], want.y.eq("yes")
    events = (
        len(want)
        + (want.duration.ge(r["interest_seconds"]) | yes).sum()
        + (want.duration.ge(r["connect_seconds"]) | yes).sum()
        + yes.sum()
    )
    assert result.rows["prior_outcomes"] == want.pdays.ge(0).sum()
    assert result.rows["events"] == events
    # more than one DuckDB row group: all of them written
    assert result.rows["customer_attributes"] == 8 * len(want) > 122_880
    assert result.rows["mart_org_day"] > 0  # marts rebuilt from the imported events
    assert (got.to_numpy() == want.date.to_numpy()).all()
    assert sorted(got.dt.year.unique()) == [2008, 2009, 2010]
    assert info == want.date.max().date() and (info.year, info.month) == (2010, 11)


def test_the_overview_says_no_data_for_balances_on_the_imported_warehouse(uci, app, monkeypatch):
    monkeypatch.setenv("COCKPIT_WAREHOUSE", str(uci[0]))
    at = app("exec")
    assert not at.exception
    assert at.session_state["f_period"] == "2010-11"
    values = {m.label: m.value for m in at.metric}
    assert (
        values["AUM"] == "No data"
        and values["Deposits"] == "No data"
        and values["New customers"] == "No data"
    )
    assert values["SICAS Actions"] != "No data"
    assert any("daily balances in this period" in i.value for i in at.info)


def test_the_import_page_is_for_admins_only_and_renders(app):
    at = app("admin")
    at.switch_page("pages/admin_import.py").run()
    assert not at.exception
    assert at.selectbox(key="import_mapping").options == importer.mapping_names()
    assert at.button(key="import_go").disabled
    assert "import" not in app("exec").session_state["_pages"]
