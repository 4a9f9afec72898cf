"""Stored channel-coordination figures, written by `cockpit build` so that the channels page reads rows:

- `mart_channel_mix`: the omnichannel buckets of `queries/channel_mix.sql` (customers seen in 1 / 2 / 3+
  channels, in 1 / 2 / 3 channel groups, by group mix, and the products they bought);
- `mart_channel_identity`: the integration figures of `queries/channel_identity.sql` (events, events of a
  known customer, active customers, customers recognised under one id);
- `mart_referral_route`: the referral matrix of `queries/referral_matrix.sql` (route × level × channel-group
  filter: created, accepted, on time, converted, median follow-up hours);
- `mart_referral_month`: the monthly route figures of `queries/referral_monthly.sql`.

For every node from the sub-branches up and every month, quarter and year to its through date (`mart_periods`;
the channels page shows no previous window). Distinct customers follow the stored funnel's rule
(cockpit/warehouse/funnel_mart.py): a customer whose events in a window sit under one sub-branch is counted
there and up the tree; one seen under several is counted again at every node above them from that node's
events alone. Teams and managers (levels 3 and 4) and other windows are computed from the events by the
named queries, their subtrees being small.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cockpit.warehouse.duck import one_row
from cockpit.warehouse.funnel_mart import MART_NODE, STORED_LEVEL

TABLES = ("mart_channel_mix", "mart_channel_identity", "mart_referral_route", "mart_referral_month")

# Events and events of a known customer per stored node, added up the tree.
IDENTITY_EVENTS_SQL = f"""
create or replace temp table cm_events as
with {MART_NODE},
per_node as (
  select cast(date_trunc('{{kind}}', e.event_date) as date) as w, m.mart_org_id, count(*) as n,
         count(e.customer_id) as known
  from events e
  join mart_node m on m.org_id = e.org_id
  where e.event_date between ? and ?
  group by all
)
select c.ancestor_id as org_id, e.w, sum(e.n) as events, sum(e.known) as known_events
from per_node e
join org_closure c on c.descendant_id = e.mart_org_id
group by all
"""

# One pass over the events: per (window, stored node, customer) the channels seen as the bits of a bit string
# (a channel's place among the known channels; an unknown channel sets none, as it has no group), the channel
# groups as bits (online 1, remote 2, offline 4), and the products bought through a known channel.
FIRST_SQL = f"""
create or replace temp table cm_first as
with {MART_NODE},
ch as (
  select channel_id, channel_group, cast(row_number() over (order by channel_id) - 1 as integer) as i
  from channels
)
select cast(date_trunc('{{kind}}', e.event_date) as date) as w, m.mart_org_id as node_id, e.customer_id,
       bitstring_agg(ch.i, 0, {{last_channel}}) as chans,
       bit_or(case ch.channel_group when 'online' then 1 when 'remote' then 2 when 'offline' then 4 end)
         as groups_seen,
       list(distinct e.product_id) filter (where e.stage = 'A' and e.product_id is not null
                                           and ch.channel_id is not null) as bought
from events e
join mart_node m on m.org_id = e.org_id
left join ch on ch.channel_id = e.channel_id
where e.customer_id is not null and e.event_date between ? and ?
group by all
"""

# One row per (node, window, customer): a customer seen under one stored node is gathered there (`own`, lifted
# up the tree when counted); one seen under several is gathered again at every node above them, from the
# nodes below (the union of their channels and products).
CUSTOMERS_SQL = """
create or replace temp table cm_customers as
with movers as (select w, customer_id from cm_first group by w, customer_id having count(*) > 1),
gathered as (
  select node_id, w, customer_id, chans, groups_seen, bought from cm_first
  union all
  select c.ancestor_id, f.w, f.customer_id, bit_or(f.chans), bit_or(f.groups_seen),
         list_distinct(flatten(list(f.bought)))
  from cm_first f
  join movers m on m.w = f.w and m.customer_id = f.customer_id
  join org_closure c on c.descendant_id = f.node_id and c.depth > 0
  group by c.ancestor_id, f.w, f.customer_id
)
select g.node_id, g.w, g.customer_id, coalesce(bit_count(g.chans), 0) as n_channels,
       coalesce(bit_count(g.groups_seen), 0) as n_groups,
       concat_ws('+', case when g.groups_seen & 1 > 0 then 'online' end,
                 case when g.groups_seen & 2 > 0 then 'remote' end,
                 case when g.groups_seen & 4 > 0 then 'offline' end) as mix,
       coalesce(len(g.bought), 0) as products,
       m.customer_id is null as own, k.customer_id is not null as known, k.unified_id
from gathered g
left join movers m on m.w = g.w and m.customer_id = g.customer_id
left join customers k on k.customer_id = g.customer_id
"""

# A customer's rows at every node that counts them: their own node and those above it, or the mover's node.
AT_NODE = """
at_node as (
  select c.ancestor_id as org_id, r.* exclude (node_id, own)
  from cm_customers r join org_closure c on c.descendant_id = r.node_id where r.own
  union all
  select r.node_id, r.* exclude (node_id, own) from cm_customers r where not r.own
)"""

IDENTITY_SQL = f"""
insert into mart_channel_identity
with windows as (select * from (values {{windows}}) v(w, window_end)),{AT_NODE},
active as (
  select org_id, w, count(*) as customers, count(unified_id) as unified_known,
         count(case when unified_id then 1 end) as unified_customers
  from at_node where known group by org_id, w
)
select '{{kind}}', e.w, wd.window_end, e.org_id, e.events, e.known_events,
       coalesce(a.customers, 0), coalesce(a.unified_known, 0), coalesce(a.unified_customers, 0)
from cm_events e
join windows wd on wd.w = e.w
join orgs o on o.org_id = e.org_id and o.level <= {{level}}
left join active a on a.org_id = e.org_id and a.w = e.w
"""

MIX_SQL = f"""
insert into mart_channel_mix
with windows as (select * from (values {{windows}}) v(w, window_end)),{AT_NODE},
buckets as (
  select org_id, w, 'channels' as kind,
         case when n_channels >= 3 then '3+' else cast(n_channels as varchar) end as bucket, products
  from at_node where n_channels > 0
  union all select org_id, w, 'groups', cast(n_groups as varchar), products from at_node where n_channels > 0
  union all select org_id, w, 'mix', mix, products from at_node where n_channels > 0
)
select '{{kind}}', b.w, wd.window_end, b.org_id, b.kind, b.bucket, count(*), sum(b.products)
from buckets b join windows wd on wd.w = b.w
group by all
"""

# Referrals: each is counted at every stored node above its own (a referral sits at one node), so the
# figures need no customer rule; medians are taken per node.
REFERRALS_SQL = """
create or replace temp table cm_ref as
select a.org_id, r.created_at, cast(r.created_at as date) as created,
       r.from_channel_id, r.to_channel_id, fc.channel_group as from_group, tc.channel_group as to_group,
       fc.channel_id is not null and tc.channel_id is not null as known_route,
       case when r.accepted_at is not null then 1 else 0 end as accepted,
       case when r.followed_up_at is not null
             and date_diff('second', r.created_at, r.followed_up_at) <= r.sla_hours * 3600 then 1 else 0
       end as on_time,
       case when r.outcome = 'converted' then 1 else 0 end as converted,
       date_diff('second', r.created_at, r.followed_up_at) / 3600.0 as followup_hours
from referrals r
join org_closure c on c.descendant_id = r.org_id
join orgs a on a.org_id = c.ancestor_id and a.level <= {level}
left join channels fc on fc.channel_id = r.from_channel_id
left join channels tc on tc.channel_id = r.to_channel_id
where cast(r.created_at as date) between ? and ?
"""

ROUTE_SQL = """
insert into mart_referral_route
with windows as (select * from (values {windows}) v(w, window_end)),
refs as (
  select r.*, wd.w, wd.window_end
  from cm_ref r
  join windows wd on r.created between wd.w and wd.window_end
  where r.known_route
),
filtered as (
  select r.*, lv.level, g.cg
  from refs r
  cross join (values ('channel'), ('group')) lv(level)
  cross join (values ('all'), ('online'), ('remote'), ('offline')) g(cg)
  where g.cg = 'all' or r.from_group = g.cg or r.to_group = g.cg
)
select '{kind}', w, window_end, org_id, level, cg,
       case when level = 'group' then from_group else from_channel_id end as from_id,
       case when level = 'group' then to_group else to_channel_id end as to_id,
       min(from_group), min(to_group), count(*), sum(accepted), sum(on_time), sum(converted),
       percentile_cont(0.5) within group (order by followup_hours)
from filtered
group by all
"""

MONTH_SQL = """
insert into mart_referral_month
select cast(date_trunc('month', created) as date), org_id, from_channel_id, to_channel_id,
       count(*), sum(on_time), max(created)
from cm_ref
group by all
"""


def _values(pairs: list[tuple[dt.date, dt.date]]) -> str:
    # Only dates produced by the build itself go in here (never user input).
    return ", ".join(f"(date '{lo.isoformat()}', date '{hi.isoformat()}')" for lo, hi in pairs)


def build(con: Any, day: dt.date | None = None) -> None:
    """Write the stored channel figures from the detail tables and `mart_periods` (built first): every
    window, or, for a new day, the month, quarter and year holding it (their through date moved). Runs inside
    the caller's transaction."""
    periods = con.execute("select period_type, period_start, through_date from mart_periods").fetchall()
    if day is None:
        for table in TABLES:
            con.execute(f"delete from {table}")
    else:
        periods = [p for p in periods if p[1] <= day <= p[2]]
        for kind, start, _ in periods:
            for table in TABLES[:3]:
                con.execute(f"delete from {table} where period_type = ? and window_start = ?", [kind, start])
    # The channels' bit string needs a fixed length: one bit per known channel (at least one).
    last_channel = max(0, one_row(con, "select count(*) from channels")[0] - 1)
    for kind in sorted({p[0] for p in periods}):
        pairs = sorted((start, through) for k, start, through in periods if k == kind)
        lo, hi = pairs[0][0], max(p[1] for p in pairs)
        con.execute(IDENTITY_EVENTS_SQL.format(level=STORED_LEVEL, kind=kind), [lo, hi])
        con.execute(FIRST_SQL.format(level=STORED_LEVEL, kind=kind, last_channel=last_channel), [lo, hi])
        con.execute(CUSTOMERS_SQL)
        args = {"windows": _values(pairs), "kind": kind, "level": STORED_LEVEL}
        con.execute(IDENTITY_SQL.format(**args))
        con.execute(MIX_SQL.format(**args))
        con.execute(REFERRALS_SQL.format(level=STORED_LEVEL), [lo, hi])
        con.execute(ROUTE_SQL.format(**args))
        for t in ("cm_first", "cm_events", "cm_customers", "cm_ref"):
            con.execute(f"drop table {t}")
    _build_months(con, day)


def _build_months(con: Any, day: dt.date | None) -> None:
    """The monthly referral figures: every month, or the month holding a new day."""
    if day is None:
        lo, hi = dt.date(1, 1, 1), dt.date(9999, 12, 31)
    else:
        lo = day.replace(day=1)
        hi = (lo + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        con.execute("delete from mart_referral_month where month = ?", [lo])
    con.execute(REFERRALS_SQL.format(level=STORED_LEVEL), [lo, hi])
    con.execute(MONTH_SQL)
    con.execute("drop table cm_ref")
