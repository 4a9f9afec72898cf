"""The stored weekly SICAS trend (`mart_sicas_weekly`), written by `cockpit build` so that the SICAS page's
weekly chart reads rows instead of counting the distinct customers of thirteen weeks of a subtree's events at
view time: the rows `queries/sicas_weekly.sql` returns for the trend the current periods show (the weeks from
`cockpit.core.periods.trend_start` of the as-of date to the as-of date), for every node from the
sub-branches up and every channel-group filter ('all' and each group).

A customer whose events of the trend all sit under one sub-branch (or one higher node) is counted once there,
and the counts are summed up the tree; one seen under several is counted again at every node above their
events (a distinct count over that node's rows). Teams and managers, and the trends of earlier periods, are
counted by the named query from the events, their windows or subtrees being small.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cockpit.core.periods import trend_start
from cockpit.warehouse import queries
from cockpit.warehouse.duck import one_row
from cockpit.warehouse.funnel_mart import MART_NODE, STORED_LEVEL

TABLE = "mart_sicas_weekly"

# Each (stored node, customer, week, stage, channel group) seen in the trend's events.
SEEN_SQL = f"""
create or replace temp table sw_seen as
with {MART_NODE}
select distinct m.mart_org_id, e.customer_id, e.stage, ch.channel_group,
       cast(date_trunc('week', e.event_date) as date) as week_start
from events e
join mart_node m on m.org_id = e.org_id
join channels ch on ch.channel_id = e.channel_id
where e.event_date between ? and ? and e.customer_id is not null
"""

# Distinct customers per (node, week, stage, group) and for the 'all' filter: the customers of one stored
# node summed up the tree, the movers counted at each node above them.
COUNTS_SQL = """
create or replace temp table sw_counts as
with movers as (
  select customer_id from sw_seen group by customer_id having min(mart_org_id) <> max(mart_org_id)
),
own as (
  select s.mart_org_id as org_id, s.week_start, s.stage,
         case when grouping(s.channel_group) = 1 then 'all' else s.channel_group end as channel_group,
         count(distinct s.customer_id) as customers
  from sw_seen s anti join movers m on m.customer_id = s.customer_id
  group by grouping sets ((s.mart_org_id, s.week_start, s.stage, s.channel_group),
                          (s.mart_org_id, s.week_start, s.stage))
),
moved as (
  select c.ancestor_id as org_id, s.week_start, s.stage,
         case when grouping(s.channel_group) = 1 then 'all' else s.channel_group end as channel_group,
         count(distinct s.customer_id) as customers
  from sw_seen s semi join movers m on m.customer_id = s.customer_id
  join org_closure c on c.descendant_id = s.mart_org_id
  group by grouping sets ((c.ancestor_id, s.week_start, s.stage, s.channel_group),
                          (c.ancestor_id, s.week_start, s.stage))
),
counted as (
  select c.ancestor_id as org_id, o.week_start, o.stage, o.channel_group, o.customers
  from own o join org_closure c on c.descendant_id = o.org_id
  union all
  select * from moved
)
select org_id, channel_group, week_start, stage, sum(customers) as customers from counted group by all
"""

# The rows sicas_weekly returns: every stage of every week the node has events in, with the step rate.
INSERT_SQL = """
insert into mart_sicas_weekly
with weeks as (select distinct org_id, channel_group, week_start from sw_counts),
grid as (
  select w.org_id, w.channel_group, w.week_start, st.stage_no, st.stage, coalesce(c.customers, 0) as customers
  from weeks w
  cross join ({stages}) st
  left join sw_counts c
    on c.org_id = w.org_id and c.channel_group = w.channel_group and c.week_start = w.week_start
   and c.stage = st.stage
)
select ?, ?, org_id, channel_group, week_start, stage_no, stage, customers,
       lag(customers) over w as prev_customers,
       customers * 1.0 / nullif(lag(customers) over w, 0) as step_rate
from grid
window w as (partition by org_id, channel_group, week_start order by stage_no)
"""


def build(con: Any, day: dt.date | None = None) -> None:
    """Write the trend ending on the warehouse's last day (a new day moves it: it is rewritten whole, which
    reads thirteen weeks of events). Runs inside the caller's transaction."""
    con.execute(f"delete from {TABLE}")
    as_of = one_row(con, "select max(event_date) from events")[0]
    if as_of is None:
        return
    start = trend_start(as_of)
    con.execute(SEEN_SQL.format(level=STORED_LEVEL), [start, as_of])
    con.execute(COUNTS_SQL)
    con.execute(INSERT_SQL.format(stages=queries.get("sicas_stages").sql), [start, as_of])
    for t in ("sw_counts", "sw_seen"):
        con.execute(f"drop table {t}")
