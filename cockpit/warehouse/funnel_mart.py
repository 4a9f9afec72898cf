"""The stored SICAS funnel (`mart_sicas_funnel`): the funnel of every org node from the sub-branches up, for
every window the cockpit offers, written by `cockpit build` so that pages read rows instead of ordering
each customer's events at view time.

Windows: each month, quarter and year to its through date (`mart_periods`), and the previous comparable
window of each (cut to the same elapsed length, `cockpit.core.periods.Period.previous`), which is what the
SICAS page sets beside it, and the guidance's recent window of the current periods (`Period.recent`: the
period widened to three months), which its funnel rules read by child and by campaign. For every window,
node, channel-group filter ('all' and the group of the customer's Sense channel) and breakdown (total and
`cockpit.domain.sicas.BREAKDOWNS`) the table holds the rows `queries/sicas_funnel.sql` returns: the same
ordering rule, applied here to all nodes at once.

How the rule reaches every node exactly: one pass over a window's events takes, per stored node and customer,
the first moment of each stage (one pass over the months' events serves the months, quarters and years: a
quarter's first moments are the earliest of its months'). Where each of those follows the previous stage's
(nearly every customer), they are the stage moments the rule gives; the few customers whose stages come out of
order are ordered from their own events. A customer whose events in a window all sit under one sub-branch (or
one higher node) has the same stage moments at that node and every node above it, so they are ordered once and
counted up the tree. For the few seen under several such nodes, a node above takes the earliest moments of the
nodes below it (a minimum of minimums) and is ordered from those. Teams and managers (levels 3 and 4), and
other windows, are served by `queries/sicas_funnel.sql` from the events, their subtrees being small.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cockpit.core.periods import Period
from cockpit.warehouse.duck import one_row

TABLE = "mart_sicas_funnel"
# The org levels stored: as for mart_org_day, teams and managers read their own (small) share of the events.
STORED_LEVEL = 2

# Each node's stored node: its ancestor at level {level}, or the node itself if higher up.
MART_NODE = """mart_node as (
  select c.descendant_id as org_id, c.ancestor_id as mart_org_id
  from org_closure c
  join orgs a on a.org_id = c.ancestor_id
  join orgs d on d.org_id = c.descendant_id
  where a.level = least(d.level, {level})
)"""

# The first moment of each stage per (stored node, customer, window), from one pass over the events:
# `{window}` is the expression giving the window start of an event (date_trunc for a kind of period, or a
# fixed date).
# The Sense event's channel and org, and the first campaign and product seen, are kept with the moment that
# chose them (`*_at`), so that a node above can take the earliest of its children's.
# An event's place in the order of the rule's ties (its moment, then its id) as one number: comparing and
# keeping this is several times cheaper than the pair (event_ts, event_id) at a hundred million events.
ORDER_KEY = (
    "(epoch_us(e.event_ts)::hugeint * 18446744073709551616 + (e.event_id::hugeint + 9223372036854775808))"
)
FIRSTS = f"""
  min(e.event_ts) filter (where e.stage = 'S') as t1,
  min(e.event_ts) filter (where e.stage = 'I') as m2,
  min(e.event_ts) filter (where e.stage = 'C') as m3,
  min(e.event_ts) filter (where e.stage = 'A') as m4,
  min(e.event_ts) filter (where e.stage = 'H') as m5,
  min({ORDER_KEY}) filter (where e.stage = 'S') as sense_at,
  arg_min(e.channel_id, {ORDER_KEY}) filter (where e.stage = 'S') as channel_id,
  arg_min(e.org_id, {ORDER_KEY}) filter (where e.stage = 'S') as sense_org_id,
  min({ORDER_KEY}) filter (where e.campaign_id is not null) as campaign_at,
  arg_min(e.campaign_id, {ORDER_KEY}) filter (where e.campaign_id is not null) as campaign_id,
  min({ORDER_KEY}) filter (where e.product_id is not null) as product_at,
  arg_min(e.product_id, {ORDER_KEY}) filter (where e.product_id is not null) as product_id"""
FIRSTS_SQL = f"""
create or replace temp table {{table}} as
with {MART_NODE}
select {{window}} as w, m.mart_org_id as node_id, e.customer_id,{FIRSTS}
from events e
join mart_node m on m.org_id = e.org_id
where e.customer_id is not null and e.event_date between ? and ?
group by all
"""
# The first moments of (w, node, customer) rows taken together: the earliest of each stage, and the channel,
# org, campaign and product chosen with the earliest moment (a minimum of minimums, exact).
EARLIEST = """min(f.t1) as t1, min(f.m2) as m2, min(f.m3) as m3, min(f.m4) as m4, min(f.m5) as m5,
       min(f.sense_at) as sense_at, arg_min(f.channel_id, f.sense_at) as channel_id,
       arg_min(f.sense_org_id, f.sense_at) as sense_org_id,
       min(f.campaign_at) as campaign_at, arg_min(f.campaign_id, f.campaign_at) as campaign_id,
       min(f.product_at) as product_at, arg_min(f.product_id, f.product_at) as product_id"""
# A quarter's or a year's first moments per stored node and customer from its months' (one pass over the
# events serves the three kinds of period).
ROLLUP_SQL = f"""
create or replace temp table sf_base as
select cast(date_trunc('{{kind}}', f.w) as date) as w, f.node_id, f.customer_id, {EARLIEST}
from sf_month f
where cast(date_trunc('{{kind}}', f.w) as date) in ({{starts}})
group by all
"""
# The first moments the rest of the ordering reads: the stored nodes' and, for the customers seen under
# several of them, the nodes' above (`ABOVE_SQL`).
FIRST_VIEW = """
create or replace temp view sf_first as
select * from sf_base union all select * from sf_above
"""

# Customers seen under several stored nodes in a window. Above their nodes they are ordered from the events of
# each node above: the first moments there are the earliest of the nodes below (a minimum of minimums).
MOVERS_SQL = """
create or replace temp table sf_movers as
select w, customer_id from sf_base group by w, customer_id having count(*) > 1
"""
ABOVE_SQL = f"""
create or replace temp table sf_above as
select f.w, c.ancestor_id as node_id, f.customer_id, {EARLIEST}
from sf_base f
join sf_movers m on m.w = f.w and m.customer_id = f.customer_id
join org_closure c on c.descendant_id = f.node_id and c.depth > 0
group by f.w, c.ancestor_id, f.customer_id
"""

# The ordering rule of cockpit/domain/sicas.py (as in queries/sicas_reach.sql): a stage counts at its first
# moment at or after the previous stage's. Where each stage's first moment already follows the previous one
# (nearly every customer) that is the answer; the rest are ordered from their own events (`sf_exact`). `own`
# marks a customer ordered at their single node, who counts the same at every node above it.
CLEAN = """(m2 is null or m2 >= t1)
  and (m2 is null or m3 is null or m3 >= m2)
  and (m2 is null or m3 is null or m4 is null or m4 >= m3)
  and (m2 is null or m3 is null or m4 is null or m5 is null or m5 >= m4)"""
EXACT_SQL = f"""
create or replace temp table sf_exact as
with {MART_NODE},
tangled as (select w, node_id, customer_id, t1 from sf_first where t1 is not null and not ({CLEAN})),
ev as (
  select t.node_id, t.customer_id, t.w, t.t1, e.event_ts, e.stage
  from events e
  join mart_node m on m.org_id = e.org_id
  join org_closure c on c.descendant_id = m.mart_org_id
  join tangled t on t.customer_id = e.customer_id and t.w = {{window}} and t.node_id = c.ancestor_id
  where e.customer_id is not null and e.event_date between ? and ? and e.stage <> 'S'
),
gathered as (
  select node_id, customer_id, w, any_value(t1) as t1,
         list(event_ts) filter (where stage = 'I') as ts_i,
         list(event_ts) filter (where stage = 'C') as ts_c,
         list(event_ts) filter (where stage = 'A') as ts_a,
         list(event_ts) filter (where stage = 'H') as ts_h
  from ev group by node_id, customer_id, w
),
s2 as (select * exclude (ts_i), list_min(list_filter(ts_i, lambda x: x >= t1)) as t2 from gathered),
s3 as (select * exclude (ts_c), list_min(list_filter(ts_c, lambda x: x >= t2)) as t3 from s2),
s4 as (select * exclude (ts_a), list_min(list_filter(ts_a, lambda x: x >= t3)) as t4 from s3)
select node_id, customer_id, w, t2, t3, t4, list_min(list_filter(ts_h, lambda x: x >= t4)) as t5 from s4
"""
REACH_SQL = """
create or replace temp table sf_reach as
with ordered as (
  select f.node_id, f.customer_id, f.w, f.t1,
         case when x.customer_id is not null then x.t2 else f.m2 end as t2,
         case when x.customer_id is not null then x.t3 when f.m2 is not null then f.m3 end as t3,
         case when x.customer_id is not null then x.t4 when f.m2 is not null and f.m3 is not null then f.m4
         end as t4,
         case when x.customer_id is not null then x.t5
              when f.m2 is not null and f.m3 is not null and f.m4 is not null then f.m5 end as t5,
         f.channel_id, f.sense_org_id, f.campaign_id, f.product_id
  from sf_first f
  left join sf_exact x on x.node_id = f.node_id and x.customer_id = f.customer_id and x.w = f.w
  where f.t1 is not null
)
select r.node_id, m.customer_id is null as own, r.customer_id, r.w, r.t1, r.t2, r.t3, r.t4, r.t5,
       r.channel_id, ch.channel_group, r.sense_org_id, k.segment, r.campaign_id, r.product_id
from ordered r
join channels ch on ch.channel_id = r.channel_id
left join customers k on k.customer_id = r.customer_id
left join sf_movers m on m.w = r.w and m.customer_id = r.customer_id
"""

# The whole funnel (breakdown 'total') per node, window and channel-group filter, with the hours between
# stages, as queries/sicas_funnel.sql computes it for one node; one row per funnel, its five stages side by
# side (the shares follow from the counts and are derived when read). A customer ordered at their own node
# counts at every node above it too.
TOTAL_SQL = """
insert into mart_sicas_funnel
with windows as (select * from (values {windows}) v(w, window_end)),
at_node as (
  select c.ancestor_id as org_id, r.w, r.channel_group, r.t1, r.t2, r.t3, r.t4, r.t5
  from sf_reach r join org_closure c on c.descendant_id = r.node_id
  where r.own
  union all
  select r.node_id, r.w, r.channel_group, r.t1, r.t2, r.t3, r.t4, r.t5 from sf_reach r where not r.own
),
filtered as (
  select org_id, w, 'all' as cg, t1, t2, t3, t4, t5,
         date_diff('second', t1, t2) / 3600.0 as h2, date_diff('second', t2, t3) / 3600.0 as h3,
         date_diff('second', t3, t4) / 3600.0 as h4, date_diff('second', t4, t5) / 3600.0 as h5
  from at_node
  union all
  select org_id, w, channel_group, t1, t2, t3, t4, t5,
         date_diff('second', t1, t2) / 3600.0, date_diff('second', t2, t3) / 3600.0,
         date_diff('second', t3, t4) / 3600.0, date_diff('second', t4, t5) / 3600.0
  from at_node
),
agg as (
  select org_id, w, cg, count(*) as c1, count(t2) as c2, count(t3) as c3, count(t4) as c4, count(t5) as c5,
         quantile_cont(h2, [0.5, 0.75]) as q2, quantile_cont(h3, [0.5, 0.75]) as q3,
         quantile_cont(h4, [0.5, 0.75]) as q4, quantile_cont(h5, [0.5, 0.75]) as q5,
         {timed}
  from filtered
  group by org_id, w, cg
)
select a.w, wd.window_end, a.org_id, a.cg, 'total', 'total', a.c1, a.c2, a.c3, a.c4, a.c5,
       case when a.timed2 then a.q2[1] end, case when a.timed2 then a.q2[2] end,
       case when a.timed3 then a.q3[1] end, case when a.timed3 then a.q3[2] end,
       case when a.timed4 then a.q4[1] end, case when a.timed4 then a.q4[2] end,
       case when a.timed5 then a.q5[1] end, case when a.timed5 then a.q5[2] end
from agg a join windows wd on wd.w = a.w
"""

# The breakdowns (counts only; the hours are the whole funnel's, see queries/sicas_funnel.sql) per node,
# window, channel-group filter and slice. Customers ordered at their own node are counted there first (per
# channel group, the filter 'all' summing the groups) and the counts summed up the tree (a slice of 'child'
# becomes, above the node, the child holding the node).
SLICES_SQL = """
insert into mart_sicas_funnel
with windows as (select * from (values {windows}) v(w, window_end)),
child as (  -- for a node and each node below it: the node's child on the way down
  select oc.descendant_id as org_id, o.parent_id, o.org_id as child_id
  from org_closure oc join orgs o on o.org_id = oc.ancestor_id
),
here as (
  select r.node_id, r.own, r.w, r.channel_group, r.channel_id, r.segment,
         coalesce(r.campaign_id, '-') as campaign, coalesce(r.product_id, '-') as product,
         coalesce(cd.child_id, r.sense_org_id) as child, r.t2, r.t3, r.t4, r.t5
  from sf_reach r
  join windows wd on wd.w = r.w
  left join child cd on cd.org_id = r.sense_org_id and cd.parent_id = r.node_id
),
counted_cg as (  -- per channel group (each customer's Sense channel has one)
  select node_id, own, w, channel_group as cg, b.breakdown,
         case b.breakdown
           when 'channel' then channel_id
           when 'channel_group' then channel_group
           when 'segment' then segment
           when 'campaign' then campaign
           when 'product' then product
           else child
         end as slice,
         count(*) as c1, count(t2) as c2, count(t3) as c3, count(t4) as c4, count(t5) as c5
  from here
  cross join (values ('channel'), ('channel_group'), ('segment'), ('campaign'), ('product'), ('child'))
    b(breakdown)
  group by all
),
counted as (  -- and the filter 'all': the groups' counts summed
  select * from counted_cg
  union all
  select node_id, own, w, 'all', breakdown, slice, sum(c1)::bigint, sum(c2)::bigint, sum(c3)::bigint,
         sum(c4)::bigint, sum(c5)::bigint
  from counted_cg group by node_id, own, w, breakdown, slice
),
lifted as (  -- own counts at the node and every node above it
  select c.ancestor_id as org_id, n.w, n.cg, n.breakdown,
         case when n.breakdown = 'child' and c.depth > 0 then cd.child_id else n.slice end as slice,
         n.c1, n.c2, n.c3, n.c4, n.c5
  from counted n
  join org_closure c on c.descendant_id = n.node_id
  left join child cd on cd.org_id = n.node_id and cd.parent_id = c.ancestor_id
  where n.own
  union all
  select node_id, w, cg, breakdown, slice, c1, c2, c3, c4, c5 from counted where not own
)
select l.w, wd.window_end, l.org_id, l.cg, l.breakdown, l.slice,
       sum(l.c1), sum(l.c2), sum(l.c3), sum(l.c4), sum(l.c5),
       null, null, null, null, null, null, null, null
from lifted l join windows wd on wd.w = l.w
group by l.w, wd.window_end, l.org_id, l.cg, l.breakdown, l.slice
"""


# Hours are shown only where some step has a time of day or takes time: data holding only dates (an import
# without times) has no hours to show, as in queries/sicas_funnel.sql.
TIMED = ",\n         ".join(
    f"count(case when t{k} <> t{k - 1} or t{k} <> date_trunc('day', t{k}) then 1 end) > 0 as timed{k}"
    for k in range(2, 6)
)


def windows(periods: list[tuple[str, dt.date, dt.date]], as_of: dt.date) -> dict[str, list[tuple]]:
    """The windows to store, from `mart_periods` rows (kind, start, through date) and the as-of date.

    Returns, per kind, its periods to their through date, under "cut" the previous comparable windows that
    are not themselves one of those, and under "recent" the guidance's recent windows of the current periods
    (each an own (start, end) pair). Each window appears once."""
    seen: set[tuple[dt.date, dt.date]] = set()
    out: dict[str, list[tuple]] = {}
    for kind, start, through in sorted(periods):
        if (start, through) not in seen:
            seen.add((start, through))
            out.setdefault(kind, []).append((start, through))
    cut = []
    for kind, start, _ in sorted(periods):
        prev = Period(kind, start, as_of).previous()
        if prev not in seen:
            seen.add(prev)
            cut.append(prev)
    out["cut"] = cut
    # The guidance's recent windows (the current periods widened to three months), with their breakdowns: its
    # funnel rules read them by child and by campaign for every stored node.
    recent = []
    for kind in sorted({p[0] for p in periods}):
        window = Period.containing(kind, as_of, as_of).recent()
        if window not in seen:
            seen.add(window)
            recent.append(window)
    out["recent"] = recent
    return out


def _values(pairs: list[tuple[dt.date, dt.date]]) -> str:
    # Only dates produced by the build itself go in here (never user input).
    return ", ".join(f"(date '{lo.isoformat()}', date '{hi.isoformat()}')" for lo, hi in pairs)


def _order(
    con: Any, window: str, pairs: list[tuple[dt.date, dt.date]], lo: dt.date, hi: dt.date, slices: bool
) -> None:
    """Order the customers of windows of one kind (or one cut window) from their first moments in `sf_base`
    and store their funnels; `slices` adds the breakdowns (the previous windows are only shown whole)."""
    con.execute(MOVERS_SQL)
    con.execute(ABOVE_SQL)
    con.execute(FIRST_VIEW)
    con.execute(EXACT_SQL.format(level=STORED_LEVEL, window=window), [lo, hi])
    con.execute(REACH_SQL)
    con.execute(TOTAL_SQL.format(windows=_values(pairs), timed=TIMED))
    if slices:
        con.execute(SLICES_SQL.format(windows=_values(pairs)))
    con.execute("drop view sf_first")
    for t in ("sf_reach", "sf_exact", "sf_above", "sf_movers"):
        con.execute(f"drop table {t}")


def _start(kind: str) -> str:
    """The window of an event for a kind of period: the start of the period holding its day."""
    return f"cast(date_trunc('{kind}', e.event_date) as date)"


def _periods(con: Any, todo: dict[str, list[tuple[dt.date, dt.date]]]) -> None:
    """The months, quarters and years: one pass over their events takes each month's first moments
    (`sf_month`), and a quarter's or a year's are the earliest of its months'."""
    lo = min(p[0] for pairs in todo.values() for p in pairs)
    hi = max(p[1] for pairs in todo.values() for p in pairs)
    con.execute(FIRSTS_SQL.format(level=STORED_LEVEL, window=_start("month"), table="sf_month"), [lo, hi])
    for kind, pairs in todo.items():
        starts = ", ".join(f"date '{p[0].isoformat()}'" for p in pairs)
        if kind == "month":
            con.execute(
                f"create or replace temp view sf_base as select * from sf_month where w in ({starts})"
            )
        else:
            con.execute(ROLLUP_SQL.format(kind=kind, starts=starts))
        _order(con, _start(kind), pairs, min(p[0] for p in pairs), max(p[1] for p in pairs), slices=True)
        con.execute("drop view sf_base" if kind == "month" else "drop table sf_base")
    con.execute("drop table sf_month")


def build(con: Any, day: dt.date | None = None) -> None:
    """Write the stored funnel from `events` and `mart_periods` (built first): every window, or, for a new
    day, the windows that hold it and the previous windows that moved with it (those no longer offered are
    deleted). Runs inside the caller's transaction."""
    as_of = one_row(con, "select max(event_date) from events")[0]
    if as_of is None or day is None:
        con.execute(f"delete from {TABLE}")
    if as_of is None:
        return
    periods = con.execute("select period_type, period_start, through_date from mart_periods").fetchall()
    todo = windows(periods, as_of)
    if day is not None:
        offered = {pair for pairs in todo.values() for pair in pairs}
        stored = set(con.execute(f"select distinct window_start, window_end from {TABLE}").fetchall())
        todo = {
            kind: [p for p in pairs if p[0] <= day <= p[1] or p not in stored] for kind, pairs in todo.items()
        }
        for lo, hi in (stored - offered) | {p for pairs in todo.values() for p in pairs}:
            con.execute(f"delete from {TABLE} where window_start = ? and window_end = ?", [lo, hi])
    kinds = {kind: pairs for kind, pairs in todo.items() if kind not in ("cut", "recent") and pairs}
    if kinds:
        _periods(con, kinds)
    for kind in ("cut", "recent"):
        for lo, hi in todo.get(kind, []):
            window = f"date '{lo.isoformat()}'"
            con.execute(FIRSTS_SQL.format(level=STORED_LEVEL, window=window, table="sf_base"), [lo, hi])
            _order(con, window, [(lo, hi)], lo, hi, slices=kind == "recent")
            con.execute("drop table sf_base")
