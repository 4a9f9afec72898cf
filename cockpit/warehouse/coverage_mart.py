"""The stored data coverage (`mart_channel_coverage`), written by `cockpit build` so that the channels and
SICAS pages learn which sources a node has figures from without counting its whole history at view time:
the rows `queries/channel_coverage.sql` returns, for every node from the sub-branches up.

Whether a source holds anything for a node depends on the window only for daily balances (a row in the
window); every other source counts the node's whole history. So the table keeps one row per node and
source with no window (rebuilt whole by every build, from one pass over each detail table grouped by org
node), and one row per node and stored window (a month, quarter or year to its through date, `mart_periods`)
for the balances; a `--day` build rewrites the balances of the windows holding the day. Teams and managers
and other windows are answered by the named query from the detail tables, their subtrees being small.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cockpit.warehouse.channel_mart import _values
from cockpit.warehouse.funnel_mart import STORED_LEVEL

TABLE = "mart_channel_coverage"
WINDOWED = "balances_daily"  # the one source whose has_data looks at the window

# (source, org nodes holding a row of it), as queries/data_coverage.sql and channel_coverage.sql count them.
SOURCES_SQL = """
with ev as (
  select e.org_id,
         bool_or(ch.channel_group = 'online') as online,
         bool_or(e.channel_id in ('wecom_1to1', 'wecom_group', 'wecom_moments') or e.event_type = 'add_wecom')
           as wecom,
         bool_or(e.stage = 'H') as share
  from events e join channels ch on ch.channel_id = e.channel_id
  group by e.org_id
),
known as (
  select org_id, count(opened_date) as opened, count(unified_id) as unified, count(segment) as segment
  from customers group by org_id
)
select distinct 'events' as dataset, org_id from events
union all select 'online', org_id from ev where online
union all select 'wecom', org_id from ev where wecom
union all select 'share', org_id from ev where share
union all select 'customers', org_id from known
union all select 'customer_opened', org_id from known where opened > 0
union all select 'unified_id', org_id from known where unified > 0
union all select 'segment', org_id from known where segment > 0
union all select distinct 'referrals', org_id from referrals
union all select distinct 'targets', org_id from targets
union all select distinct 'service_records', org_id from service_records
union all select distinct 'prior_outcomes', org_id from prior_outcomes
union all select distinct 'customer_attributes', org_id from customer_attributes
union all select distinct 'lifecycle_changes', org_id from lifecycle_changes
"""

ALL_TIME_SQL = f"""
insert into mart_channel_coverage
with held as ({SOURCES_SQL}),
at_node as (
  select distinct c.ancestor_id as org_id, h.dataset
  from held h join org_closure c on c.descendant_id = h.org_id
)
select o.org_id, d.dataset, cast(null as date), cast(null as date), a.org_id is not null
from orgs o
cross join (values {{datasets}}) d(dataset)
left join at_node a on a.org_id = o.org_id and a.dataset = d.dataset
where o.level <= {{level}}
"""

BALANCES_SQL = """
insert into mart_channel_coverage
with windows as (select * from (values {windows}) v(w, window_end)),
days as (select distinct org_id, balance_date from balances_daily where balance_date between ? and ?),
held as (
  select distinct c.ancestor_id as org_id, wd.w, wd.window_end
  from days b
  join windows wd on b.balance_date between wd.w and wd.window_end
  join org_closure c on c.descendant_id = b.org_id
)
select o.org_id, '{dataset}', wd.w, wd.window_end, h.org_id is not null
from orgs o
cross join windows wd
left join held h on h.org_id = o.org_id and h.w = wd.w and h.window_end = wd.window_end
where o.level <= {level}
"""

DATASETS = (
    "customers",
    "events",
    "referrals",
    "targets",
    "service_records",
    "customer_opened",
    "prior_outcomes",
    "customer_attributes",
    "lifecycle_changes",
    "online",
    "wecom",
    "share",
    "unified_id",
    "segment",
)


def build(con: Any, day: dt.date | None = None) -> None:
    """Write the stored coverage from the detail tables and `mart_periods` (built first): every source for
    the whole history, and the balances of every window, or, for a new day, of the windows holding it. Runs
    inside the caller's transaction."""
    periods = con.execute("select period_type, period_start, through_date from mart_periods").fetchall()
    if day is None:
        con.execute(f"delete from {TABLE}")
    else:
        periods = [p for p in periods if p[1] <= day <= p[2]]
        con.execute(f"delete from {TABLE} where window_start is null")
        for _, start, through in periods:
            con.execute(f"delete from {TABLE} where window_start = ? and window_end = ?", [start, through])
        # the windows holding the day, to their old through date, which no period runs to any more
        con.execute(
            f"delete from {TABLE} where window_start is not null and (window_start, window_end) not in "
            "(select period_start, through_date from mart_periods)"
        )
    datasets = ", ".join(f"('{d}')" for d in DATASETS)
    con.execute(ALL_TIME_SQL.format(datasets=datasets, level=STORED_LEVEL))
    pairs = sorted({(start, through) for _, start, through in periods})
    if pairs:
        sql = BALANCES_SQL.format(windows=_values(pairs), dataset=WINDOWED, level=STORED_LEVEL)
        con.execute(sql, [pairs[0][0], max(p[1] for p in pairs)])
