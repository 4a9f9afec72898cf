"""Marts: small pre-aggregated tables that pages read instead of the events, built by `cockpit build`.

- `mart_org_day` (day x sub-branch x SICAS stage): event counts, sales and fees of the sub-branch's
  subtree (nodes above sub-branches keep their own rows). Sums over any date range and any subtree
  from a sub-branch up are exact; teams and managers read the events, their subtrees being small.
  It holds no distinct customers: summed over days they would be customer-days, not customers.
- `mart_org_period` (month, quarter, year x every org node x stage, '*' meaning any stage): the exact
  number of distinct customers in the node's whole subtree over the period, to its `through_date`
  (the last day with data). This is what a sum of daily counts cannot give.
- `mart_periods`: which periods the marts hold and the day each runs through, so a query can tell
  whether its window is one of them.

A full build recomputes everything; `build(con, day)` refreshes one day: that day's rows of
`mart_org_day`, and the month, quarter and year that contain it in `mart_org_period` (recounted from
their own events, which are stored in date order, so the scan is limited to the period).
The SQL is plain and portable; DuckDB runs it here and sqlglot can transpile it for other engines.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

from cockpit.core import config
from cockpit.core.periods import KINDS, MONTHS, Period
from cockpit.warehouse import (
    channel_mart,
    coverage_mart,
    funnel_mart,
    prepared,
    return_mart,
    schema,
    weekly_mart,
)
from cockpit.warehouse.duck import one_row

# Built by `full_build`'s portable statements on any engine (Spark too).
PORTABLE_MARTS = ("mart_periods", "mart_org_day", "mart_org_period")
# The stored funnel, weekly trend and channel figures are built by DuckDB only
# (cockpit/warehouse/funnel_mart.py, weekly_mart.py, channel_mart.py, return_mart.py, coverage_mart.py);
# other engines get them copied (`cockpit export`, cockpit/warehouse/spark.py) or leave them empty, and the
# named queries then compute from the events.
# The stored guidance is written by `cockpit build` with the guidance engine (cockpit/guidance/stored.py);
# the marts keep its tables (a full build empties them: the guidance of other data would be wrong).
GUIDANCE_TABLES = ("mart_guidance", "mart_insights")
# The stored metric values are written by `cockpit build` after the marts through the named query itself
# (cockpit/warehouse/metric_store.py); a full build empties them like the guidance.
METRIC_TABLE = "mart_metric_values"
# The stored scorecard is written the same way, by cockpit/domain/scorecard_store.py with the scorecard's
# rules.
SCORECARD_TABLE = "mart_scorecard"
# The prepared answers likewise, by cockpit/warehouse/prepared_store.py through the queries declaring them.
PREPARED_TABLE = prepared.TABLE
MARTS = (
    *PORTABLE_MARTS,
    funnel_mart.TABLE,
    weekly_mart.TABLE,
    *channel_mart.TABLES,
    return_mart.TABLE,
    coverage_mart.TABLE,
    METRIC_TABLE,
    *GUIDANCE_TABLES,
    SCORECARD_TABLE,
    PREPARED_TABLE,
)
# mart_org_day keeps nodes down to this level (sub-branches); deeper subtrees are small enough to read the
# events.
MART_LEVEL = 2

DAY_SQL = """
insert into mart_org_day
with mart_node as (  -- each node's ancestor at level MART_LEVEL, or the node itself when it is higher up
  select c.descendant_id as org_id, c.ancestor_id as mart_org_id
  from org_closure c
  join orgs a on a.org_id = c.ancestor_id
  join orgs d on d.org_id = c.descendant_id
  where a.level = least(d.level, {level})
)
select e.event_date, m.mart_org_id as org_id, e.stage,
       count(*) as events,
       round(sum(e.amount), 2) as amount,
       round(sum(e.fee_income), 2) as fee_income
from events e
join mart_node m on m.org_id = e.org_id
where e.event_date between ? and ?
group by e.event_date, m.mart_org_id, e.stage
"""

# Exact distinct customers per period, subtree and stage. Most customers are seen at one node in a
# period: they are counted there and the counts summed up the tree. The few seen at several nodes are
# counted once per ancestor from their own (customer, node) pairs, so no one is counted twice.
PERIOD_SQL = """
insert into mart_org_period
with seen as (
  select cast(date_trunc('{kind}', e.event_date) as date) as period_start, e.customer_id, e.stage,
         min(e.org_id) as org_lo, max(e.org_id) as org_hi
  from events e
  where e.customer_id is not null and e.event_date between ? and ?
  group by cast(date_trunc('{kind}', e.event_date) as date), e.customer_id, e.stage
),
seen_all as (
  select period_start, customer_id, stage, org_lo, org_hi from seen
  union all
  select period_start, customer_id, '*', min(org_lo), max(org_hi) from seen group by period_start, customer_id
),
single as (
  select period_start, org_lo as org_id, stage, count(*) as n
  from seen_all where org_lo = org_hi group by period_start, org_lo, stage
),
single_up as (
  select s.period_start, c.ancestor_id as org_id, s.stage, sum(s.n) as n
  from single s join org_closure c on c.descendant_id = s.org_id
  group by s.period_start, c.ancestor_id, s.stage
),
movers as (select distinct customer_id from seen_all where org_lo <> org_hi),
mover_nodes as (
  select distinct cast(date_trunc('{kind}', e.event_date) as date) as period_start, e.customer_id, e.stage,
    e.org_id
  from events e join movers m on m.customer_id = e.customer_id
  where e.event_date between ? and ?
),
mover_all as (
  select period_start, customer_id, stage, org_id from mover_nodes
  union all
  select distinct period_start, customer_id, '*', org_id from mover_nodes
),
multi_up as (
  select m.period_start, c.ancestor_id as org_id, m.stage, count(distinct m.customer_id) as n
  from mover_all m
  join seen_all s on s.period_start = m.period_start and s.customer_id = m.customer_id and s.stage = m.stage
  join org_closure c on c.descendant_id = m.org_id
  where s.org_lo <> s.org_hi
  group by m.period_start, c.ancestor_id, m.stage
),
counted as (select * from single_up union all select * from multi_up)
select '{kind}' as period_type, period_start, org_id, stage, sum(n) as customers
from counted group by period_start, org_id, stage
"""

# The customers a new day adds to a period, per node (subtree) and stage ('*' = any): those of the new day
# with no event earlier in the period under that node at that stage. Arguments: the new day, then the
# period's start and the day it ran through.
DELTA_SQL = """
with new_pairs as (
  select distinct customer_id, stage, org_id from events
  where customer_id is not null and event_date = ?
),
old_pairs as (
  select distinct e.customer_id, e.stage, e.org_id from events e
  where e.event_date between ? and ? and e.customer_id in (select customer_id from new_pairs)
),
pairs as (
  select 1 as is_new, customer_id, stage, org_id from new_pairs
  union all
  select 0, customer_id, stage, org_id from old_pairs
),
up as (  -- each pair at every node above it, at its own stage and at '*'
  select distinct p.is_new, p.customer_id, case when x.k = 0 then p.stage else '*' end as stage,
    c.ancestor_id as org_id
  from pairs p
  join org_closure c on c.descendant_id = p.org_id
  cross join (select 0 as k union all select 1) x
)
select n.org_id, n.stage, count(*) as n
from up n
where n.is_new = 1 and not exists (
  select 1 from up o where o.is_new = 0 and o.customer_id = n.customer_id and o.stage = n.stage and o.org_id
    = n.org_id)
group by n.org_id, n.stage
"""

# A period runs through the last day with data, or its own end if earlier.
THROUGH_DATE = "least(period_end, (select max(event_date) from events))"

PERIODS_SQL = """
insert into mart_periods
select period_type, period_start, period_end, {through} as through_date
from (
  select distinct '{kind}' as period_type, cast(date_trunc('{kind}', event_date) as date) as period_start,
         cast(date_trunc('{kind}', event_date) + interval {months} month - interval 1 day as date) as
         period_end
  from events where event_date between ? and ?
) p
"""


def ensure(con: Any, tables: tuple[str, ...] = MARTS) -> None:
    """Create the mart tables if they are missing or were built to another layout (marts are derived data)."""
    for table in tables:
        cols = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_name = ? "
                "order by ordinal_position",
                [table],
            ).fetchall()
        ]
        if cols != schema.column_names(table):
            con.execute(f"drop table if exists {table}")
            con.execute(schema.ddl(table))


def build(con: Any, day: dt.date | None = None) -> dict[str, float]:
    """Build the marts from the detail tables on a writable DuckDB connection: all of them, or one day.

    Returns the seconds taken and the rows each mart holds afterwards."""
    t0 = time.perf_counter()
    limit_resources(con)
    ensure(con)
    con.execute("begin")
    try:
        build_in_transaction(con, day)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    rows = {t: one_row(con, f"select count(*) from {t}")[0] for t in MARTS}
    return {"seconds": time.perf_counter() - t0, **rows}


def limit_resources(con: Any) -> None:
    """Bound the build's memory and threads (COCKPIT_BUILD_MEMORY, COCKPIT_BUILD_THREADS): at size l an
    unbounded build takes most of the machine; DuckDB spills what does not fit. Insertion order is not kept
    (the marts' rows carry their keys, and an `order by` is still honoured): the stored funnel builds about
    a seventh faster at size m without it."""
    con.execute(f"set memory_limit = '{build_memory()}'")
    con.execute("set preserve_insertion_order = false")
    threads = build_threads()
    if threads is not None:
        con.execute(f"set threads = {threads}")


def build_memory(share: int = 1) -> str:
    """COCKPIT_BUILD_MEMORY checked, or its `share`-th part (each of that many processes), in megabytes as
    DuckDB counts them (KB, MB, GB: powers of 1000; KiB, MiB, GiB: of 1024)."""
    memory = config.get("COCKPIT_BUILD_MEMORY").strip().replace(" ", "")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT])(i?)B", memory, re.I)
    if not m:
        raise MartError(f"COCKPIT_BUILD_MEMORY must look like 8GB or 512MB, got {memory[:20]!r}")
    if share <= 1:
        return memory
    base = 1024 if m.group(3) else 1000
    size = float(m.group(1)) * base ** ("KMGT".index(m.group(2).upper()) + 1)
    return f"{max(int(size / share / 1e6), 64)}MB"


def build_threads() -> int | None:
    """COCKPIT_BUILD_THREADS as a whole number, or None when unset (one per core)."""
    threads = config.get("COCKPIT_BUILD_THREADS").strip()
    if not threads:
        return None
    if not threads.isdigit() or int(threads) < 1:
        raise MartError(f"COCKPIT_BUILD_THREADS must be a whole number of threads, got {threads[:20]!r}")
    return int(threads)


def build_in_transaction(con: Any, day: dt.date | None = None) -> None:
    """The work of `build` inside the caller's open transaction (an import commits its rows and marts
    together)."""
    if day is None:
        lo, hi = one_row(con, "select min(event_date), max(event_date) from events")
        for table in MARTS:
            con.execute(f"delete from {table}")
        if lo is not None:
            for sql, args in full_build(lo, hi):
                con.execute(sql, args)
    else:
        con.execute("delete from mart_org_day where event_date = ?", [day])
        con.execute(DAY_SQL.format(level=MART_LEVEL), [day, day])
        for kind in KINDS:
            _add_day(con, kind, day)
        # A new last day moves the through date of periods it does not belong to.
        con.execute(f"update mart_periods set through_date = {THROUGH_DATE}")
    funnel_mart.build(con, day)
    weekly_mart.build(con, day)
    channel_mart.build(con, day)
    return_mart.build(con, day)
    coverage_mart.build(con, day)


def _add_day(con: Any, kind: str, day: dt.date) -> None:
    """Bring one period's distinct customers up to `day`.

    When the period already runs through the day before (the daily case), only the customers of the new
    days are read, and those of them already seen earlier in the period are not counted again: the rest of
    the period is scanned for those customers alone. A day already counted, or a gap, recounts the period.
    """
    period = Period.containing(kind, day, day)
    start, end = period.start, period.end
    row = con.execute(
        "select through_date from mart_periods where period_type = ? and period_start = ?", [kind, start]
    ).fetchone()
    through = row[0] if row else start - dt.timedelta(days=1)
    gap = (
        through is None
        or through >= day
        or one_row(
            con, "select count(*) from events where event_date > ? and event_date < ?", [through, day]
        )[0]
    )
    if gap:
        con.execute("delete from mart_org_period where period_type = ? and period_start = ?", [kind, start])
        con.execute("delete from mart_periods where period_type = ? and period_start = ?", [kind, start])
        for sql, args in _period(kind, start, end):
            con.execute(sql, args)
        return
    con.execute("create or replace temp table period_delta as " + DELTA_SQL, [day, start, through])
    con.execute(
        """update mart_org_period m set customers = m.customers + d.n from period_delta d
                   where m.period_type = ? and m.period_start = ? and m.org_id = d.org_id and m.stage =
                   d.stage""",
        [kind, start],
    )
    con.execute(
        """insert into mart_org_period select ?, ?, d.org_id, d.stage, d.n from period_delta d
                   where not exists (select 1 from mart_org_period m where m.period_type = ? and
                   m.period_start = ?
                                     and m.org_id = d.org_id and m.stage = d.stage)""",
        [kind, start, kind, start],
    )
    con.execute("drop table period_delta")
    if not row:
        con.execute(*_periods_row(kind, start, end))


def _periods_row(kind: str, lo: dt.date, hi: dt.date) -> tuple[str, list[dt.date]]:
    """The `mart_periods` rows of the periods of a kind that hold events in [lo, hi]."""
    return PERIODS_SQL.format(kind=kind, months=MONTHS[kind], through=THROUGH_DATE), [lo, hi]


def _period(kind: str, lo: dt.date, hi: dt.date) -> list[tuple[str, list[dt.date]]]:
    return [(PERIOD_SQL.format(kind=kind), [lo, hi, lo, hi]), _periods_row(kind, lo, hi)]


def full_build(lo: dt.date, hi: dt.date) -> list[tuple[str, list[dt.date]]]:
    """The inserts that fill empty marts from the events of [lo, hi], in order, with their `?` arguments.

    Written in
    DuckDB's SQL; other engines (cockpit/warehouse/spark.py) run the same statements transpiled by sqlglot."""
    return [(DAY_SQL.format(level=MART_LEVEL), [lo, hi])] + [
        s for kind in KINDS for s in _period(kind, lo, hi)
    ]


class MartError(RuntimeError):
    """The marts cannot be built here; the message says why and what to do."""


def build_command(target: str, day: str | None = None) -> str:
    """`cockpit build`: open the DuckDB warehouse for writing (only this command does) and build the marts."""
    import duckdb

    if "://" in target:
        raise MartError(
            "`cockpit build` builds marts in a DuckDB warehouse; build them there, then `cockpit "
            "export` them."
        )
    from pathlib import Path

    if not Path(target).exists():
        raise MartError(
            f"no warehouse at {target}: build the demo bank with `cockpit seed` or import data first"
        )
    when = dt.date.fromisoformat(day) if day else None
    try:
        con = duckdb.connect(target)
    except duckdb.IOException as e:
        raise MartError(
            f"cannot open {target} for writing ({str(e).splitlines()[0][:120]}); stop the app using it first"
        ) from e
    try:
        con.execute("set enable_progress_bar = false")
        if not one_row(con, "select count(*) from information_schema.tables where table_name = 'events'")[0]:
            raise MartError(f"{target} has no events table: it is not a cockpit warehouse")
        stats = build(con, when)
        con.execute("checkpoint")
    finally:
        con.close()
    what = f"day {when}" if when else "all days"
    rows = ", ".join(f"{t} {stats[t]:,}" for t in MARTS)
    return f"marts built ({what}) in {stats['seconds']:.2f} s: {rows}"
