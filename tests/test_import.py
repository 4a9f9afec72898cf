"""The validated importer: every malformed file refused with a message naming the problem and where it
is, the warehouse unchanged after each refusal, GBK text decoded, a second import a no-op, the CLI exit
code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cockpit.warehouse import schema
from seed.ingest import importer

MALFORMED = Path(__file__).parent / "fixtures" / "malformed"
ORGS_CSV = (
    "机构号,上级机构号,层级,机构名称,英文名称\nHO,,0,总行,Head office\nR01,HO,1,北京分行,Beijing Branch\n"
    "R01B01,R01,2,北京人民路支行,Beijing Renmin Rd\n"
)
CUSTOMERS_CSV = (
    "客户号,机构号,客户经理,客群,生命周期,星级,资产余额,开户日期\n1,R01,,大众客户,成长,1,1000.5,2020-01-02\n"
    "2,R01B01,M1,富裕客户,成熟,3,500000,2019/05/06\n3,R01,,年轻客群,新客,1,20,20240101\n"
)

# file -> (mapping, words the message must hold, row named, column named)
EXPECTED = {
    "uci_missing_column.csv": ("uci_bank_marketing", "missing required column", 1, "y"),
    "uci_wrong_delimiter.csv": (
        "uci_bank_marketing",
        "wrong delimiter: the mapping expects ';' but the file is separated by ','",
        1,
        "",
    ),
    "uci_bad_date.csv": ("uci_bank_marketing", "bad date: day 31 does not exist in jun", 3, "day"),
    "uci_day_out_of_range.csv": (
        "uci_bank_marketing",
        "value out of range: 32 is above the maximum 31",
        4,
        "day",
    ),
    "uci_infinite_balance.csv": (
        "uci_bank_marketing",
        "wrong type: '1e999' is not a finite number",
        4,
        "balance",
    ),
    "uci_appended_row.csv": (
        "uci_bank_marketing",
        "year rule 'ordered': sep after nov puts this contact in 2011-09, outside 2008-05 to 2010-11",
        33,
        "month",
    ),
    "uci_unknown_contact.csv": ("uci_bank_marketing", "unknown code 'pigeon'", 2, "contact"),
    "uci_unknown_month.csv": ("uci_bank_marketing", "unknown code 'juin'", 5, "month"),
    "uci_unknown_outcome.csv": ("uci_bank_marketing", "unknown code 'maybe'", 7, "y"),
    "uci_wrong_type.csv": ("uci_bank_marketing", "wrong type: 'thirty' is not a whole number", 2, "age"),
    "uci_float_for_int.csv": ("uci_bank_marketing", "wrong type: '1.5' is not a whole number", 2, "campaign"),
    "uci_negative_duration.csv": ("uci_bank_marketing", "negative value not allowed: -5", 6, "duration"),
    "uci_empty_value.csv": ("uci_bank_marketing", "empty value where one is required", 3, "balance"),
    "uci_empty.csv": ("uci_bank_marketing", "empty file: 0 bytes", 0, ""),
    "uci_header_only.csv": ("uci_bank_marketing", "empty file: a header but no data rows", 0, ""),
    "uci_truncated_last_line.csv": (
        "uci_bank_marketing",
        "truncated last line: 4 fields where the header has 17",
        7,
        "",
    ),
    "uci_unclosed_quote.csv": (
        "uci_bank_marketing",
        "truncated last line: a quoted field is never closed",
        7,
        "",
    ),
    "uci_extra_field.csv": (
        "uci_bank_marketing",
        "wrong number of fields: 18 fields where the header has 17",
        5,
        "",
    ),
    "uci_huge_field.csv": ("uci_bank_marketing", "huge field: 20,000 characters", 4, "job"),
    "uci_garbage_bytes.csv": ("uci_bank_marketing", "garbage bytes: not UTF-8 or GBK text", 2, ""),
    "uci_nul_bytes.csv": ("uci_bank_marketing", "garbage bytes: control character", 4, ""),
    "uci_duplicate_column.csv": ("uci_bank_marketing", "duplicate column name in the header", 1, "age"),
    "customers_duplicate_key.csv": ("customers", "duplicate key 客户号=2 (first at row 3)", 5, "客户号"),
    "customers_unknown_org.csv": ("customers", "unknown code 'R99': not in orgs.org_id", 5, "机构号"),
    "customers_date_out_of_range.csv": (
        "customers",
        "date out of range: 2099-01-01 is above the maximum",
        5,
        "开户日期",
    ),
    "customers_bad_date.csv": ("customers", "bad date: '2024-13-45' does not match", 5, "开户日期"),
    "customers_negative_aum.csv": ("customers", "negative value not allowed: -100", 5, "资产余额"),
    "customers_unknown_segment.csv": ("customers", "unknown code '土豪'", 5, "客群"),
    "customers_tier_out_of_range.csv": (
        "customers",
        "value out of range: 9 is above the maximum 5",
        5,
        "星级",
    ),
    "customers_gbk_garbage.csv": (
        "customers",
        "garbage bytes: not UTF-8 or GBK text (undecodable byte 0x80",
        2,
        "",
    ),
    "customers_missing_column.xlsx": ("customers", "missing required column", 1, "资产余额"),
    "events_not_parquet.parquet": ("events", "cannot read as parquet", 0, ""),
    "events_unknown_channel.csv": ("events", "unknown code '抖音'", 3, "channel"),
    "events_unknown_stage.csv": ("events", "unknown code '成交'", 3, "stage"),
}


def snapshot(path: Path) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent checksum of every table."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t: tuple(con.execute(f"select count(*), coalesce(sum(hash(t)), 0) from {t} t").fetchall()[0])
            for t in schema.tables()
        }
    finally:
        con.close()


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Path:
    """A fresh warehouse loaded with a GBK org file and a UTF-8 customer file."""
    d = tmp_path_factory.mktemp("import")
    target = d / "w.duckdb"
    importer.import_file(write(d / "orgs.csv", ORGS_CSV, "gbk"), "orgs", target)
    importer.import_file(write(d / "customers.csv", CUSTOMERS_CSV), "customers", target)
    return target


def test_the_fixtures_cover_at_least_twenty_malformed_files():
    files = {p.name for p in MALFORMED.iterdir()}
    assert files == set(EXPECTED) and len(files) >= 20


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_file_is_refused_naming_the_problem_and_the_warehouse_is_unchanged(loaded, name):
    mapping, words, row, column = EXPECTED[name]
    before = snapshot(loaded)
    with pytest.raises(importer.ImportRejected) as refused:
        importer.import_file(MALFORMED / name, mapping, loaded)
    first = refused.value.problems[0]
    assert words in str(refused.value)
    assert name in str(refused.value) and first.file == name
    assert (first.row, first.column) == (row, column)
    assert snapshot(loaded) == before


def test_every_problem_is_reported_not_only_the_first(tmp_path, loaded):
    lines = CUSTOMERS_CSV.splitlines()
    bad = (
        "\n".join([lines[0], "x,R01,,大众客户,成长,1,10,2020-01-01", "5,R01,,外星人,成长,7,-1,2020-02-30"])
        + "\n"
    )
    with pytest.raises(importer.ImportRejected) as refused:
        importer.import_file(write(tmp_path / "many.csv", bad), "customers", loaded)
    where = {(p.row, p.column) for p in refused.value.problems}
    assert where == {(2, "客户号"), (3, "客群"), (3, "星级"), (3, "资产余额"), (3, "开户日期")}
    assert list(refused.value.report().columns) == ["file", "row", "column", "problem"]


def test_gbk_text_is_decoded_into_the_right_chinese(loaded):
    con = duckdb.connect(str(loaded), read_only=True)
    names = dict(con.execute("select org_id, name_zh from orgs").fetchall())
    closure = con.execute("select count(*) from org_closure where ancestor_id = 'HO'").fetchall()[0][0]
    segments = dict(con.execute("select customer_id, segment from customers").fetchall())
    con.close()
    assert names == {"HO": "总行", "R01": "北京分行", "R01B01": "北京人民路支行"}
    assert closure == 3
    assert segments == {1: "mass", 2: "affluent", 3: "young"}


def test_the_same_file_in_gbk_utf8_excel_and_parquet_gives_the_same_rows(tmp_path, loaded):
    frame = pd.read_csv(pd.io.common.StringIO(CUSTOMERS_CSV), dtype=str, keep_default_na=False)
    files = [
        write(tmp_path / "c_gbk.csv", CUSTOMERS_CSV, "gbk"),
        write(tmp_path / "c_tab.tsv", CUSTOMERS_CSV.replace(",", "\t")),
    ]
    frame.to_excel(tmp_path / "c.xlsx", index=False)
    frame.to_parquet(tmp_path / "c.parquet")
    before = snapshot(loaded)
    for f in [*files, tmp_path / "c.xlsx", tmp_path / "c.parquet"]:
        result = importer.import_file(f, "customers", loaded)
        assert not result.changed, f.name
    assert snapshot(loaded) == before


def test_a_second_import_of_the_same_file_changes_nothing(tmp_path, loaded):
    f = write(tmp_path / "more.csv", CUSTOMERS_CSV.replace("3,R01,,年轻客群", "4,R01,,年轻客群"))
    assert importer.import_file(f, "customers", loaded).changed
    after_first = snapshot(loaded)
    again = importer.import_file(f, "customers", loaded)
    assert not again.changed
    assert snapshot(loaded) == after_first


def test_a_changed_row_replaces_the_stored_row_by_key(tmp_path, loaded):
    f = write(tmp_path / "update.csv", CUSTOMERS_CSV.replace("1000.5", "2000.25"))
    result = importer.import_file(f, "customers", loaded)
    con = duckdb.connect(str(loaded), read_only=True)
    aum = con.execute("select aum from customers where customer_id = 1").fetchall()
    con.close()
    assert result.changed and aum == [(2000.25,)]
    importer.import_file(write(tmp_path / "back.csv", CUSTOMERS_CSV), "customers", loaded)


def test_a_failure_while_writing_rolls_everything_back(tmp_path, loaded, monkeypatch):
    before = snapshot(loaded)

    def broken(con):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "rebuild_org_tree", broken)
    f = write(tmp_path / "orgs2.csv", ORGS_CSV + "R02,HO,1,上海分行,Shanghai Branch\n")
    with pytest.raises(RuntimeError):
        importer.import_file(f, "orgs", loaded)
    assert snapshot(loaded) == before


def test_an_unknown_mapping_is_refused_with_the_known_names():
    with pytest.raises(ValueError, match="no mapping 'nope': choose one of .*uci_bank_marketing"):
        importer.load_mapping("nope")


def cockpit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cockpit.ops.cli", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )


def test_cli_refuses_a_bad_file_with_exit_code_2_one_line_and_no_traceback(loaded, tmp_path):
    before = snapshot(loaded)
    out = cockpit(
        "import",
        str(MALFORMED / "uci_unknown_contact.csv"),
        "--mapping",
        "uci_bank_marketing",
        "--db",
        str(loaded),
        "--report",
        str(tmp_path / "report.csv"),
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [
        "cockpit: import refused, nothing changed: uci_unknown_contact.csv, row 2, column 'contact': "
        "unknown code 'pigeon': expected one of cellular, telephone, unknown"
    ]
    assert pd.read_csv(tmp_path / "report.csv").problem.str.contains("pigeon").all()
    assert snapshot(loaded) == before


def test_cli_imports_and_prints_rows_per_table(tmp_path):
    target = tmp_path / "cli.duckdb"
    write(tmp_path / "o.csv", ORGS_CSV, "gbk")
    out = cockpit("import", str(tmp_path / "o.csv"), "--mapping", "orgs", "--db", str(target))
    assert out.returncode == 0, out.stderr
    assert "gbk" in out.stdout and "orgs 3" in out.stdout and "org_closure 6" in out.stdout
    again = cockpit(
        "import",
        str(tmp_path / "o.csv"),
        "--mapping",
        str(importer.MAPPINGS_DIR / "orgs.yaml"),
        "--db",
        str(target),
    )
    assert again.returncode == 0 and "already imported: nothing changed" in again.stdout


def test_the_page_path_imports_while_the_app_holds_the_warehouse_open(tmp_path):
    """The import page runs in the app's process, whose read-only pool holds
    the file: it is released first.
    """
    from cockpit.warehouse.layer import open_warehouse

    target = tmp_path / "app.duckdb"
    importer.import_file(write(tmp_path / "o.csv", ORGS_CSV, "gbk"), "orgs", target)
    reader = open_warehouse(str(target))
    assert len(reader.sql("select * from orgs")) == 3
    with pytest.raises(
        importer.ImportRejected, match="^上传的客户.csv, row 5, column '资产余额': negative value"
    ):
        importer.import_upload(
            "上传的客户.csv",
            (MALFORMED / "customers_negative_aum.csv").read_bytes(),
            "customers",
            str(target),
        )
    result = importer.import_upload("上传的客户.csv", CUSTOMERS_CSV.encode("gbk"), "customers", str(target))
    assert result.changed and result.rows["customers"] == 3
    assert len(open_warehouse(str(target)).sql("select * from customers")) == 3


def test_a_decimal_comma_is_refused_rather_than_misread(tmp_path, loaded):
    with pytest.raises(
        importer.ImportRejected, match=r"row 2, column '资产余额': wrong type: '1,5' is not a number"
    ):
        importer.import_file(
            write(tmp_path / "c.csv", CUSTOMERS_CSV.replace(",1000.5,", ',"1,5",')), "customers", loaded
        )


GOOD = {
    "events": (
        "event_id,event_date,event_time,customer_id,org_id,channel,stage,event_type,amount\n"
        "1,2024-01-02,2024-01-02 09:30:00,1,R01,手机银行,曝光,visit,0\n2,2024/01/03,,1,R01,大堂,沟通,chat,\n"
        "3,20240105,,2,R01B01,理财室,行动,purchase,50000\n",
        "select event_id, channel_id, stage, amount from events order by event_id",
        [(1, "app", "S", 0.0), (2, "lobby", "C", None), (3, "wealth_room", "A", 50000.0)],
    ),
    "referrals": (
        "referral_id,customer_id,org_id,from_channel_id,to_channel_id,created_at,accepted_at,followed_up_at,outcome,sla_hours\n"
        "1,1,R01,app,wealth_room,2024-01-02 10:00:00,2024-01-02 12:00:00,,pending,48\n",
        "select referral_id, to_channel_id, outcome, followed_up_at from referrals",
        [(1, "wealth_room", "pending", None)],
    ),
    "balances": (
        "balance_date,org_id,category,balance\n2024-01-31,R01,存款,1000000\n2024-01-31,R01,loan,-5\n",
        "select category, balance from balances_daily order by category",
        [("deposit", 1e6), ("loan", -5.0)],
    ),
    "targets": (
        "org_id,metric,period_type,period_start,target_value\nR01,deposits,年,2024-01-01,2000000\n",
        "select metric, period_type, target_value from targets",
        [("deposits", "year", 2e6)],
    ),
}


@pytest.mark.parametrize("mapping", sorted(GOOD))
def test_each_table_mapping_loads_its_rows_with_codes_mapped(tmp_path, mapping):
    text, sql, rows = GOOD[mapping]
    target = tmp_path / "w.duckdb"
    importer.import_file(write(tmp_path / "o.csv", ORGS_CSV, "gbk"), "orgs", target)
    result = importer.import_file(write(tmp_path / f"{mapping}.csv", text), mapping, target)
    assert result.changed
    con = duckdb.connect(str(target), read_only=True)
    got = con.execute(sql).fetchall()
    con.close()
    assert got == rows
    assert not importer.import_file(tmp_path / f"{mapping}.csv", mapping, target).changed


def test_a_mapping_with_an_unknown_type_or_column_is_refused(tmp_path):
    bad_type = write(
        tmp_path / "t.yaml", "table: customers\ncolumns:\n  id: {to: customer_id, type: integer}\n"
    )
    with pytest.raises(ValueError, match="column 'id' has type 'integer'; use one of str, int"):
        importer.load_mapping(bad_type)
    bad_col = write(tmp_path / "c.yaml", "table: customers\ncolumns:\n  id: {to: client_no}\n")
    with pytest.raises(ValueError, match="customers has no column 'client_no'"):
        importer.load_mapping(bad_col)
