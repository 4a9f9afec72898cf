"""Validated import of a bank's own extracts (CSV, Parquet, Excel) into the DuckDB warehouse.

A mapping file (seed/ingest/mappings/NAME.yaml) says which source columns the file must have, their
types, allowed codes or value maps, ranges and date formats, and where the rows go: one warehouse
table keyed by columns (`table:` + `key:`, upserted), or an adapter module that turns a whole
source into every table (`adapter:`, replacing the warehouse's rows). seed/ingest/IMPORT.md documents it.

Nothing is written unless the whole file is valid: every problem is collected with its file, row
and column, and the write happens in one DuckDB transaction, so a failed import leaves the warehouse
exactly as it was. Rows equal to what is already stored are not rewritten, so importing the same
file twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import yaml

from cockpit.warehouse import schema

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
DELIMITERS = (",", ";", "\t", "|")
MAX_FIELD_CHARS = 10_000  # a longer field is a broken export (an unclosed quote swallowing lines), not data
TYPES = ("str", "int", "float", "date", "bool")
# How an adapter dates rows of a file without a year (seed/ingest/uci_bank.py, seed/ingest/IMPORT.md)
YEAR_RULES = ("ordered", "latest", "context")
ROW = "_row"  # the file's own row number of each record (the header is row 1)
# (step, fraction done); steps: reading, validating, writing, marts, commit, checkpoint, done
Progress = Callable[[str, float], None]
Note = tuple[str, dict]  # an i18n key (cockpit/core/i18n_catalogue/importer.yaml) and its values


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the file, where it is, and what is wrong."""

    row: int  # 0 when the problem is the whole file or a column
    column: str
    problem: str
    file: str = ""

    def __str__(self) -> str:
        where = (
            [self.file]
            + ([f"row {self.row}"] if self.row else [])
            + ([f"column '{self.column}'"] if self.column else [])
        )
        return f"{', '.join(w for w in where if w)}: {self.problem}"


class ImportRejected(ValueError):
    """The file was refused; `problems` lists every problem found. The warehouse was not touched."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        more = (
            f" (and {len(self.problems) - 1} more problem{'s' if len(self.problems) > 2 else ''})"
            if len(self.problems) > 1
            else ""
        )
        super().__init__(f"{self.problems[0]}{more}")

    def report(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {"file": p.file, "row": p.row or None, "column": p.column, "problem": p.problem}
                for p in self.problems
            ]
        )


@dataclass
class ImportResult:
    """What an import did: rows per table after it, whether anything changed, notes on derived values."""

    source: str
    changed: bool
    rows: dict[str, int]
    notes: list[Note] = field(default_factory=list)
    seconds: float = 0.0


# ---------------------------------------------------------------- mappings


def mapping_names() -> list[str]:
    return sorted(p.stem for p in MAPPINGS_DIR.glob("*.yaml"))


def load_mapping(name_or_path: str | Path) -> dict:
    """A mapping by name (seed/ingest/mappings/NAME.yaml) or by path, checked
    for the keys the importer needs.
    """
    path = Path(name_or_path)
    if not path.suffix:
        path = MAPPINGS_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        raise ValueError(
            f"no mapping {str(name_or_path)!r}: choose one of {', '.join(mapping_names())} or give a path"
        )
    m = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    m.setdefault("name", path.stem)
    if not m.get("columns") or not (m.get("table") or m.get("adapter")):
        raise ValueError(f"mapping {path.name} needs `columns` and either `table` or `adapter`")
    if m.get("table") and m["table"] not in schema.tables():
        raise ValueError(f"mapping {path.name}: unknown warehouse table {m['table']!r}")
    for src, spec in m["columns"].items():
        spec.setdefault("to", src)
        spec.setdefault("type", "str")
        if spec["type"] not in TYPES:
            raise ValueError(
                f"mapping {path.name}: column {src!r} has type {spec['type']!r}; use one of "
                f"{', '.join(TYPES)}"
            )
        if m.get("table") and spec["to"] not in schema.column_names(m["table"]):
            raise ValueError(f"mapping {path.name}: {m['table']} has no column {spec['to']!r}")
    return m


# ---------------------------------------------------------------- reading


def _decode(data: bytes, name: str, wanted: str) -> tuple[str, str]:
    """Text and the encoding that decoded it: UTF-8 (with or without BOM) first, then GBK (as GB18030)."""
    tries = ["utf-8-sig", "gb18030"] if wanted in ("auto", "", None) else [wanted]
    first_error: UnicodeDecodeError | None = None
    for enc in tries:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as e:
            first_error = e if first_error is None or e.start > first_error.start else first_error
            continue
        bad = re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]", text)
        if bad:
            line = text.count("\n", 0, bad.start()) + 1
            raise ImportRejected(
                [
                    Problem(
                        line,
                        "",
                        f"garbage bytes: control character {bad.group()!r} is not text (binary "
                        f"or corrupt file)",
                        name,
                    )
                ]
            )
        return text, "gbk" if enc == "gb18030" else enc.removesuffix("-sig")
    assert first_error is not None  # every encoding tried failed
    line = data.count(b"\n", 0, first_error.start) + 1
    raise ImportRejected(
        [
            Problem(
                line,
                "",
                f"garbage bytes: not UTF-8 or GBK text (undecodable byte "
                f"0x{data[first_error.start]:02x} at byte {first_error.start})",
                name,
            )
        ]
    )


def _pick_delimiter(header: str, mapping: dict, name: str) -> str:
    """The declared delimiter, or the one that splits the header into the most mapped columns."""
    known = set(mapping["columns"])

    def hits(d: str) -> int:
        return len(known & {c.strip().strip('"') for c in header.split(d)})

    best = max(DELIMITERS, key=hits)
    declared = (mapping.get("format") or {}).get("delimiter")
    if declared:
        if hits(declared) < hits(best) and hits(best) > 1:
            raise ImportRejected(
                [
                    Problem(
                        1,
                        "",
                        f"wrong delimiter: the mapping expects {declared!r} but the file is "
                        f"separated by {best!r}",
                        name,
                    )
                ]
            )
        return declared
    return best


def _read_csv(data: bytes, mapping: dict, name: str, progress: Progress) -> tuple[pd.DataFrame, list[Note]]:
    text, encoding = _decode(data, name, (mapping.get("format") or {}).get("encoding", "auto"))
    if not text.strip():
        raise ImportRejected([Problem(0, "", "empty file: no header and no rows", name)])
    header_line = text.lstrip("\r\n").split("\n", 1)[0]
    delim = _pick_delimiter(header_line, mapping, name)
    limit = int(mapping.get("max_field_chars", MAX_FIELD_CHARS))
    csv.field_size_limit(max(limit * 100, 1 << 24))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    total_lines = max(1, text.count("\n"))
    problems: list[Problem] = []
    header: list[str] | None = None
    rows, lines = [], []
    try:
        for rec in reader:
            if not rec or rec == [""]:
                continue
            if header is None:
                header = [h.strip() for h in rec]
                twice = sorted({h for h in header if header.count(h) > 1})
                if twice:
                    raise ImportRejected(
                        [
                            Problem(reader.line_num, h, "duplicate column name in the header", name)
                            for h in twice
                        ]
                    )
                continue
            line = reader.line_num
            if len(rec) != len(header):
                last = line >= total_lines and not text.endswith("\n")
                what = "truncated last line" if last and len(rec) < len(header) else "wrong number of fields"
                problems.append(
                    Problem(line, "", f"{what}: {len(rec)} fields where the header has {len(header)}", name)
                )
                continue
            for col, value in zip(header, rec):
                if len(value) > limit:
                    problems.append(
                        Problem(line, col, f"huge field: {len(value):,} characters (limit {limit:,})", name)
                    )
            rows.append(rec)
            lines.append(line)
            if len(rows) % 20_000 == 0:
                progress("reading", 0.4 * line / total_lines)
    except csv.Error as e:
        last = reader.line_num >= total_lines
        what = (
            "truncated last line: a quoted field is never closed"
            if last or "EOF" in str(e)
            else f"malformed CSV: {e}"
        )
        problems.append(Problem(reader.line_num, "", what, name))
    if header is None:
        raise ImportRejected([Problem(0, "", "empty file: no header and no rows", name)])
    if problems:
        raise ImportRejected(problems)
    frame = (
        pd.DataFrame(rows, columns=header, dtype=object)
        if rows
        else pd.DataFrame(columns=header, dtype=object)
    )
    frame[ROW] = lines
    return frame, [("import.note.file", {"file": name, "encoding": encoding, "delimiter": repr(delim)})]


def read_source(
    path: str | Path, mapping: dict, display_name: str | None = None, progress: Progress | None = None
) -> tuple[pd.DataFrame, list[Note]]:
    """Every cell as text (empty string for missing), plus a `_row` column with the file's row numbers."""
    path = Path(path)
    name = display_name or path.name
    say = progress or (lambda msg, frac: None)
    suffix = Path(name).suffix.lower() or path.suffix.lower()
    if path.stat().st_size == 0:
        raise ImportRejected([Problem(0, "", "empty file: 0 bytes", name)])
    if suffix in (".parquet", ".pq", ".xlsx", ".xlsm", ".xls"):
        try:
            if suffix in (".parquet", ".pq"):
                frame = pd.read_parquet(path)
            else:
                frame = pd.read_excel(path, dtype=object)
        except Exception as e:  # a broken or mislabelled file: say so, with the reader's reason
            raise ImportRejected(
                [Problem(0, "", f"cannot read as {suffix[1:]}: {str(e).splitlines()[0][:160]}", name)]
            ) from None
        frame = frame.astype(object).where(frame.notna(), "")
        frame = frame.map(
            lambda v: v.isoformat(sep=" ") if isinstance(v, (dt.datetime, pd.Timestamp)) else str(v)
        )
        frame.columns = [str(c).strip() for c in frame.columns]
        frame[ROW] = np.arange(len(frame)) + 2
        return frame, [("import.note.file_binary", {"file": name, "format": suffix[1:]})]
    return _read_csv(path.read_bytes(), mapping, name, say)


# ---------------------------------------------------------------- validating


def _num(values: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """Parsed numbers and a mask of the values that are not numbers of that kind."""
    parsed = pd.to_numeric(values, errors="coerce")  # no separators guessed: "1,5" is refused, not read as 15
    bad = parsed.isna() | ~np.isfinite(parsed.astype(float))  # 1e999 and "inf" are bad input, not infinity
    if kind == "int":
        bad |= parsed.notna() & (parsed != parsed.round())
    return parsed, bad


def _dates(values: pd.Series, formats: list[str]) -> pd.Series:
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = out.isna()
        if not todo.any():
            break
        out[todo] = pd.to_datetime(values[todo], format=fmt, errors="coerce")
    return out


def _bound(value: Any, kind: str) -> Any:
    if kind == "date":
        return pd.Timestamp(dt.date.today() if value == "today" else value)
    return float(value)


def validate(frame: pd.DataFrame, mapping: dict, name: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Typed columns under their warehouse names, and every problem found (file, row, column)."""
    problems: list[Problem] = []
    present = set(frame.columns)
    missing = [
        src for src, spec in mapping["columns"].items() if spec.get("required", True) and src not in present
    ]
    if missing:
        raise ImportRejected([Problem(1, c, "missing required column", name) for c in missing])
    out = pd.DataFrame({ROW: frame[ROW].to_numpy()}, index=frame.index)
    rows = frame[ROW]

    def flag(mask: pd.Series, col: str, msg: Callable[..., str]) -> None:
        for r, v in zip(rows[mask], frame.loc[mask, col] if col in present else [""] * int(mask.sum())):
            problems.append(Problem(int(r), col, msg(str(v)[:40]), name))

    for src, spec in mapping["columns"].items():
        if src not in present:
            out[spec["to"]] = None
            continue
        raw = frame[src].astype(str).str.strip()
        empty = raw.eq("")
        if not spec.get("nullable", False):
            flag(empty, src, lambda v: "empty value where one is required")
        kind = spec["type"]
        if kind in ("int", "float"):
            val, bad = _num(raw, kind)
            infinite = val.isin([np.inf, -np.inf]) & ~empty
            flag(
                bad & ~empty & ~infinite,
                src,
                lambda v, k=kind: f"wrong type: {v!r} is not a {'whole ' if k == 'int' else ''}number",
            )
            flag(infinite, src, lambda v: f"wrong type: {v!r} is not a finite number")
        elif kind == "date":
            fmts = spec.get("format") or ["%Y-%m-%d"]
            fmts = [fmts] if isinstance(fmts, str) else fmts
            val = _dates(raw, [*fmts, "%Y-%m-%d %H:%M:%S", "ISO8601"])
            bad = val.isna() & ~empty
            flag(bad, src, lambda v, f=fmts: f"bad date: {v!r} does not match {' or '.join(f)}")
        elif kind == "bool":
            truth = {
                str(k).lower(): bool(v)
                for k, v in (
                    spec.get("values") or {"true": 1, "false": 0, "1": 1, "0": 0, "yes": 1, "no": 0}
                ).items()
            }
            low = raw.str.lower()
            bad = ~low.isin(list(truth)) & ~empty
            flag(bad, src, lambda v, truth=truth: f"unknown code {v!r}: expected one of {', '.join(truth)}")
            val = low.map(truth)
        else:
            val, bad = raw.where(~empty, None), pd.Series(False, index=raw.index)
            if spec.get("max_length"):
                long = raw.str.len() > int(spec["max_length"])
                flag(long, src, lambda v, n=spec["max_length"]: f"value too long (over {n} characters)")
        codes = spec.get("values")
        if codes is not None and kind not in ("bool",):
            allowed = [str(k) for k in codes]
            unknown = ~raw.isin(allowed) & ~empty
            flag(
                unknown,
                src,
                lambda v, a=allowed: (
                    f"unknown code {v!r}: expected one of {', '.join(a[:12])}{' …' if len(a) > 12 else ''}"
                ),
            )
            bad = bad | unknown
            if isinstance(codes, dict):
                val = raw.map({str(k): v for k, v in codes.items()})
        for side, op in (("min", "lt"), ("max", "gt")):
            if spec.get(side) is None or kind not in ("int", "float", "date"):
                continue
            limit = _bound(spec[side], kind)
            off = getattr(val, op)(limit) & ~bad & ~empty
            shown = limit.date() if kind == "date" else spec[side]
            what = (
                "date out of range"
                if kind == "date"
                else ("negative value not allowed" if side == "min" and limit == 0 else "value out of range")
            )
            flag(
                off,
                src,
                lambda v, w=what, s=side, x=shown: (
                    f"{w}: {v} is {'below the minimum' if s == 'min' else 'above the maximum'} {x}"
                ),
            )
        out[spec["to"]] = val.where(~bad & ~empty, None) if kind not in ("date",) else val
    key = list(mapping.get("key") or [])
    if key:
        dup = out.duplicated(key, keep=False) & out[key].notna().all(axis=1)
        first = out[dup].groupby(key, dropna=False)[ROW].transform("min")
        src_of = {spec["to"]: src for src, spec in mapping["columns"].items()}
        for r, f, kv in zip(out.loc[dup, ROW], first, out.loc[dup, key].itertuples(index=False)):
            if r != f:
                shown = ", ".join(f"{src_of.get(k, k)}={v}" for k, v in zip(key, kv))
                problems.append(
                    Problem(
                        int(r), src_of.get(key[0], key[0]), f"duplicate key {shown} (first at row {f})", name
                    )
                )
    return out, problems


# ---------------------------------------------------------------- writing


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """One value; the result is read to the end (DuckDB refuses new work while a result is pending)."""
    return con.execute(sql).fetchall()[0][0]


def _existing_codes(con: duckdb.DuckDBPyConnection, ref: str) -> set:
    table, col = ref.split(".")
    return {r[0] for r in con.execute(f"select distinct {col} from {table}").fetchall()}


def _check_refs(
    con: duckdb.DuckDBPyConnection, typed: pd.DataFrame, mapping: dict, name: str
) -> list[Problem]:
    """Codes that must exist in another table (an org id, a channel code) and do not."""
    problems = []
    for src, spec in mapping["columns"].items():
        if not spec.get("ref"):
            continue
        known = _existing_codes(con, spec["ref"])
        if spec["ref"] == f"{mapping.get('table')}.{spec['to']}" or spec["ref"].startswith(
            f"{mapping.get('table')}."
        ):
            known |= set(typed[spec["ref"].split(".")[1]].dropna())
        vals = typed[spec["to"]]
        bad = vals.notna() & ~vals.isin(list(known))
        for r, v in zip(typed.loc[bad, ROW], vals[bad]):
            problems.append(Problem(int(r), src, f"unknown code {str(v)[:40]!r}: not in {spec['ref']}", name))
    return problems


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Every documented table exists (empty where there is no data), so every query runs."""
    have = {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main'"
        ).fetchall()
    }
    for table in schema.tables():
        if table not in have:
            con.execute(schema.ddl(table))


def _stage(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> str:
    """The rows as a temp table with exactly the warehouse table's columns and types.

    Staged before the transaction begins: DuckDB 2.0 scans a temp table created and filled inside a
    transaction as empty once it passes one row group (122,880 rows), while count(*) still sees the rows.
    """
    cols = schema.column_names(table)
    frame = df.reindex(columns=cols).astype(object).where(df.reindex(columns=cols).notna(), None)
    tmp = f"_stage_{table}"
    con.execute(
        schema.ddl(table).replace(f"create table {table} (", f"create or replace temp table {tmp} (", 1)
    )
    con.register("_frame", frame)
    casts = ", ".join(f"cast({c} as {schema.tables()[table]['columns'][c]['type']})" for c in cols)
    con.execute(f"insert into {tmp} select {casts} from _frame")
    con.unregister("_frame")
    return tmp


def derived(table: str) -> bool:
    """Marts are computed from the data (cockpit/warehouse/marts.py), never imported."""
    return table.startswith("mart_")


def _differs(con: duckdb.DuckDBPyConnection, a: str, b: str, cols: list[str] | None = None) -> bool:
    """Rows of a that b lacks (only `cols` compared: derived columns such as org paths are left out)."""
    c = ", ".join(cols) if cols else "*"
    return _scalar(con, f"select exists (select {c} from {a} except all select {c} from {b})")


def rebuild_org_tree(con: duckdb.DuckDBPyConnection) -> None:
    """Materialised paths and the closure table, from parent_id (after orgs changed)."""
    con.execute("""
        create or replace temp table _paths as
        with recursive walk(org_id, path) as (
          select org_id, '/' || org_id || '/' from orgs where parent_id is null
          union all
          select o.org_id, w.path || o.org_id || '/' from orgs o join walk w on o.parent_id = w.org_id
        ) select * from walk""")
    con.execute("update orgs set path = p.path from _paths p where p.org_id = orgs.org_id")
    con.execute("delete from org_closure")
    con.execute("""insert into org_closure
        select a.org_id, d.org_id, len(string_split(trim(d.path, '/'), '/')) - len(string_split(trim(a.path,
          '/'), '/'))
        from _paths a join _paths d on starts_with(d.path, a.path)""")


def _write(con: duckdb.DuckDBPyConnection, staged: dict[str, str], mapping: dict, info: dict) -> bool:
    """Inside the open transaction: replace (adapter) or upsert (table) the staged rows. True if anything
    changed.
    """
    changed = False
    if mapping.get("adapter"):
        for table, tmp in staged.items():
            if _differs(con, tmp, table) or _differs(con, table, tmp):
                con.execute(f"delete from {table}")
                con.execute(f"insert into {table} select * from {tmp}")
                changed = True
        current = con.execute("select source, as_of from warehouse_info").fetchall()
        if changed or current != [(info["source"], info["as_of"])]:
            con.execute("delete from warehouse_info")
            con.execute(
                "insert into warehouse_info values (?, ?, null, ?, current_timestamp)",
                [info["source"], mapping["name"], info["as_of"]],
            )
            changed = True
        return changed
    table, key = mapping["table"], mapping.get("key") or []
    tmp = staged[table]
    if not _differs(con, tmp, table, [spec["to"] for spec in mapping["columns"].values()]):
        return False
    if key:
        on = " and ".join(f"t.{k} is not distinct from s.{k}" for k in key)
        con.execute(f"delete from {table} t where exists (select 1 from {tmp} s where {on})")
    con.execute(f"insert into {table} select * from {tmp}")
    if table == "orgs":
        rebuild_org_tree(con)
    if _scalar(con, "select count(*) from warehouse_info") == 0:
        con.execute(
            "insert into warehouse_info values (?, ?, null, ?, current_timestamp)",
            [f"import:{mapping['name']}", mapping["name"], info.get("as_of")],
        )
    return True


def _marts_missing(con: duckdb.DuckDBPyConnection) -> bool:
    """Events without any mart rows: the marts were never built for this data."""
    return _scalar(con, "select exists (select 1 from events) and not exists (select 1 from mart_org_day)")


def _rebuild_marts(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute the marts inside the import's transaction: the data and its marts commit together, so a
    crash at any point leaves the warehouse as it was or fully loaded, never with new rows and empty marts.
    """
    from cockpit.warehouse import marts

    marts.ensure(con)
    marts.build_in_transaction(con)


def _reference_channels(con: duckdb.DuckDBPyConnection) -> None:
    """A new warehouse gets the cockpit's channel codes, so event and referral files can refer to them."""
    from seed import reference

    if _scalar(con, "select count(*) from channels") == 0:
        con.executemany("insert into channels values (?, ?, ?, ?)", reference.CHANNELS)


def import_file(
    path: str | Path,
    mapping_ref: str | Path,
    target: str | Path,
    display_name: str | None = None,
    progress: Progress | None = None,
    rules: dict | None = None,
) -> ImportResult:
    """Validate a file against a mapping and load it in one transaction (rows and marts together); raise
    ImportRejected on any problem. `rules` overrides the mapping's adapter rules (e.g. year_rule).
    """
    t0 = time.perf_counter()
    say = progress or (lambda msg, frac: None)
    mapping = load_mapping(mapping_ref)
    if rules:
        if "year_rule" in rules and "year_rule" not in (mapping.get("rules") or {}):
            raise ValueError(
                f"mapping {mapping['name']} dates its rows from the file: a year rule applies only to a "
                "source without a year (uci_bank_marketing, uci_bank_additional)"
            )
        mapping["rules"] = {**(mapping.get("rules") or {}), **rules}
    name = display_name or Path(path).name
    if "://" in str(target):
        raise ValueError("`cockpit import` writes a DuckDB file; give --db a file path")
    frame, notes = read_source(path, mapping, name, say)
    if frame.empty:
        raise ImportRejected([Problem(0, "", "empty file: a header but no data rows", name)])
    say("validating", 0.45)
    typed, problems = validate(frame, mapping, name)
    tables: dict[str, pd.DataFrame] = {}
    info: dict[str, Any] = {"source": f"import:{mapping['name']}", "as_of": None}
    if not problems:
        if mapping.get("adapter"):
            adapter = importlib.import_module(mapping["adapter"])
            tables, info, more = adapter.transform(typed, mapping, name)
            problems += more
            notes += info.get("notes", [])
        else:
            tables = {mapping["table"]: typed}
            dates = [c for c, s in mapping["columns"].items() if s["type"] == "date"]
            latest = [typed[mapping["columns"][c]["to"]].dropna().max() for c in dates]
            latest = [d for d in latest if pd.notna(d)]
            info["as_of"] = max(latest).date() if latest else None
    if problems:
        raise ImportRejected(problems)
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    say("writing", 0.7)
    try:
        con = duckdb.connect(str(target))
    except duckdb.Error as e:
        raise ValueError(
            f"the warehouse {target} cannot be opened for writing ({str(e).splitlines()[0][:120]}); "
            "stop the running cockpit or import from its admin page"
        ) from None
    try:
        if mapping.get("adapter"):
            staged = {
                t: _stage(con, t, tables.get(t, pd.DataFrame()))
                for t in schema.tables()
                if t != "warehouse_info" and not derived(t)
            }
        else:
            staged = {mapping["table"]: _stage(con, mapping["table"], typed)}
        con.execute("begin transaction")
        try:
            ensure_tables(con)
            if not mapping.get("adapter"):
                _reference_channels(con)
                problems = _check_refs(con, typed, mapping, name)
                if problems:
                    raise ImportRejected(problems)
            changed = _write(con, staged, mapping, info)
            # marts left empty by a crash of an older version: the same file repairs them
            changed = changed or _marts_missing(con)
            if changed:
                say("marts", 0.85)
                _rebuild_marts(con)
                say("commit", 0.95)
        except BaseException:
            con.execute("rollback")
            raise
        con.execute("commit" if changed else "rollback")
        if changed:
            say("checkpoint", 0.97)
            con.execute("checkpoint")
        rows = {
            t: _scalar(con, f"select count(*) from {t}") for t in schema.tables() if not t.startswith("_")
        }
    finally:
        con.close()
    say("done", 1.0)
    return ImportResult(info["source"], changed, rows, notes, time.perf_counter() - t0)


def release_readers(target: str) -> None:
    """Close this process's read-only connections to the warehouse so it can be opened for writing."""
    import gc

    from cockpit.warehouse.layer import open_warehouse

    # lru_cache keys differ by call form, so dispose every form the code base uses (a new one opens nothing).
    for args, kwargs in (
        ((str(target),), {}),
        ((str(target), True), {}),
        ((str(target),), {"read_only": True}),
    ):
        try:
            open_warehouse(*args, **kwargs).engine.dispose()
        except Exception:  # no warehouse there yet
            pass
    open_warehouse.cache_clear()
    gc.collect()


def import_upload(
    file_name: str,
    data: bytes,
    mapping_ref: str | Path,
    target: str,
    progress: Progress | None = None,
    rules: dict | None = None,
) -> ImportResult:
    """Import uploaded bytes (the admin page): keep the file's own name in
    messages, free the readers first.
    """
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / Path(file_name).name
        path.write_bytes(data)
        release_readers(target)
        return import_file(
            path, mapping_ref, target, display_name=Path(file_name).name, progress=progress, rules=rules
        )
