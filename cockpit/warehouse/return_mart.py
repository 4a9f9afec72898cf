"""The stored return flow (`mart_channel_return`), written by `cockpit build` so that the channels page reads
rows instead of ordering every online touch of a subtree's history at view time: the rows
`queries/channel_return_flow.sql` returns (customers won back by earlier state, back online after
`GAP_DAYS` days without an online touch, contacted after an earlier campaign by its outcome) for every node
from the sub-branches up and every month, quarter and year to its through date (`mart_periods`).

Won back and earlier-campaign customers are counted at every stored node above their rows (lifecycle changes
and prior outcomes are few beside the events). Back online follows the stored funnel's customer rule
(cockpit/warehouse/funnel_mart.py): a customer whose online touches all sit under one sub-branch (or one
higher node) has the same sequence of touches there and at every node above, so their returns are found once
and counted up the tree; one seen under several is ordered again at every node above their touches, from
that node's touches alone. A touch is a return when the previous one is `GAP_DAYS` or more days earlier; the
build reads the touches from `GAP_DAYS` before its earliest window on, and a first touch there counts when
the customer was touched at that node before (as the query does). Teams and managers, other windows and
another gap are computed by the named query from the events, their subtrees being small.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cockpit.warehouse.channel_mart import _values
from cockpit.warehouse.funnel_mart import MART_NODE, STORED_LEVEL

TABLE = "mart_channel_return"
GAP_DAYS = 90  # the page's gap (channel_return_flow's default); the stored rows say which gap they hold

# Online touches of known customers from the gap before the first window (`recent`) and the nodes they were
# touched at before that (`earlier`), each at its node of level <= STORED_LEVEL.
TOUCHES_SQL = f"""
create or replace temp table rf_touch as
with {MART_NODE}
select e.customer_id, e.event_date, e.event_ts, e.event_id, m.mart_org_id,
       e.event_date >= cast(? as date) as recent
from events e
join mart_node m on m.org_id = e.org_id
join channels ch on ch.channel_id = e.channel_id
where ch.channel_group = 'online' and e.customer_id is not null and e.event_date <= ?
"""

# Each return touch in the build's span, at the node it is counted from (`own`: the customer's one node,
# counted up the tree).
RETURNS_SQL = """
create or replace temp table rf_returns as
with movers as (
  select customer_id from rf_touch group by customer_id having min(mart_org_id) <> max(mart_org_id)
),
at_nodes as (
  select t.*, t.mart_org_id as node_id from rf_touch t
  union all
  select t.*, c.ancestor_id
  from rf_touch t
  join movers m on m.customer_id = t.customer_id
  join org_closure c on c.descendant_id = t.mart_org_id and c.depth > 0
),
before as (select distinct node_id, customer_id from at_nodes where not recent),
ordered as (
  select node_id, customer_id, event_date,
         lag(event_date) over (partition by node_id, customer_id order by event_ts, event_id) as previous_date
  from at_nodes where recent
)
select o.node_id, o.customer_id, o.event_date, m.customer_id is null as own
from ordered o
left join before b on b.node_id = o.node_id and b.customer_id = o.customer_id
left join movers m on m.customer_id = o.customer_id
where (o.previous_date is not null and date_diff('day', o.previous_date, o.event_date) >= {gap})
   or (o.previous_date is null and b.customer_id is not null)
"""

# The lifecycle changes and prior outcomes of the build's span at every stored node above their own.
FLOWS_SQL = """
create or replace temp table rf_flows as
select c.ancestor_id as org_id, 'won_back' as kind, l.from_state as source, l.customer_id, l.change_date as d
from lifecycle_changes l
join org_closure c on c.descendant_id = l.org_id
join orgs a on a.org_id = c.ancestor_id and a.level <= {level}
where l.change_date between ? and ? and l.to_state = 'won_back'
union all
select c.ancestor_id, 'earlier_campaign', 'prior_' || p.outcome, p.customer_id, p.contact_date
from prior_outcomes p
join org_closure c on c.descendant_id = p.org_id
join orgs a on a.org_id = c.ancestor_id and a.level <= {level}
where p.contact_date between ? and ?
"""

INSERT_SQL = """
insert into mart_channel_return
with windows as (select * from (values {windows}) v(w, window_end)),
kinds as (select * from (values {kinds}) v(kind, w, window_end)),
cells as (
  select k.kind as period_type, k.w, k.window_end, o.org_id
  from kinds k cross join orgs o where o.level <= {level}
),
returns_at as (
  select c.ancestor_id as org_id, r.customer_id, r.event_date
  from rf_returns r join org_closure c on c.descendant_id = r.node_id where r.own
  union all
  select node_id, customer_id, event_date from rf_returns where not own
),
back as (
  select wd.w, wd.window_end, r.org_id, count(distinct r.customer_id) as customers
  from returns_at r join windows wd on r.event_date between wd.w and wd.window_end
  group by all
),
flows as (
  select wd.w, wd.window_end, f.org_id, f.kind, f.source, count(distinct f.customer_id) as customers
  from rf_flows f join windows wd on f.d between wd.w and wd.window_end
  group by all
)
select c.period_type, c.w, c.window_end, c.org_id, {gap}, 'back_online', 'online', coalesce(b.customers, 0)
from cells c
left join back b on b.w = c.w and b.window_end = c.window_end and b.org_id = c.org_id
union all
select c.period_type, c.w, c.window_end, c.org_id, {gap}, f.kind, f.source, f.customers
from cells c
join flows f on f.w = c.w and f.window_end = c.window_end and f.org_id = c.org_id
"""


def build(con: Any, day: dt.date | None = None) -> None:
    """Write the stored return flow from the detail tables and `mart_periods` (built first): every window,
    or, for a new day, the month, quarter and year holding it. Runs inside the caller's transaction."""
    periods = con.execute("select period_type, period_start, through_date from mart_periods").fetchall()
    if day is None:
        con.execute(f"delete from {TABLE}")
    else:
        periods = [p for p in periods if p[1] <= day <= p[2]]
        for kind, start, _ in periods:
            con.execute(f"delete from {TABLE} where period_type = ? and window_start = ?", [kind, start])
    if not periods:
        return
    lo, hi = min(p[1] for p in periods), max(p[2] for p in periods)
    con.execute(TOUCHES_SQL.format(level=STORED_LEVEL), [lo - dt.timedelta(days=GAP_DAYS), hi])
    con.execute(RETURNS_SQL.format(gap=GAP_DAYS))
    con.execute(FLOWS_SQL.format(level=STORED_LEVEL), [lo, hi, lo, hi])
    pairs = sorted({(start, through) for _, start, through in periods})
    kinds = ", ".join(f"('{k}', date '{s.isoformat()}', date '{t.isoformat()}')" for k, s, t in periods)
    con.execute(INSERT_SQL.format(windows=_values(pairs), kinds=kinds, level=STORED_LEVEL, gap=GAP_DAYS))
    for t in ("rf_touch", "rf_returns", "rf_flows"):
        con.execute(f"drop table {t}")
