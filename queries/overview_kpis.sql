-- description: Overview KPI tiles for an org node: AUM, deposits, new customers, active customers, SICAS Actions; this period vs a comparable previous one. Reads the marts (cockpit/warehouse/marts.py) where they answer; answered from overview_kpis_stored (the stored metric values) when the build stores both windows for the node.
-- stored: overview_kpis_stored
-- param: org_id org
-- param: start date
-- param: end date
-- param: prev_start date
-- param: prev_end date
with bal_days as (
  select
    (select max(balance_date) from balances_daily where balance_date <= :end) as cur_day,
    (select max(balance_date) from balances_daily where balance_date <= :prev_end) as prev_day
),
balances as (
  select
    sum(case when b.balance_date = d.cur_day and b.category <> 'loan' then b.balance else 0 end) as aum_cur,
    sum(case when b.balance_date = d.prev_day and b.category <> 'loan' then b.balance else 0 end) as aum_prev,
    sum(case when b.balance_date = d.cur_day and b.category = 'deposit' then b.balance else 0 end) as dep_cur,
    sum(case when b.balance_date = d.prev_day and b.category = 'deposit' then b.balance else 0 end) as dep_prev
  from balances_daily b
  cross join bal_days d
  join node_orgs n on n.org_id = b.org_id
  where b.balance_date in (d.cur_day, d.prev_day)
),
new_customers as (
  select
    count(*) filter (where k.opened_date between :start and :end) as cur,
    count(*) filter (where k.opened_date between :prev_start and :prev_end) as prev
  from customers k
  join node_orgs n on n.org_id = k.org_id
),
deep as (  -- teams and managers read their own events; sub-branches and above read the marts
  select count(*) as n from orgs where org_id = :org_id and level > 2
),
actions_mart as (
  select
    coalesce(sum(case when m.event_date between :start and :end then m.events end), 0) as cur,
    coalesce(sum(case when m.event_date between :prev_start and :prev_end then m.events end), 0) as prev
  from mart_org_day m
  join node_orgs n on n.org_id = m.org_id
  where m.stage = 'A' and m.event_date between :prev_start and :end and (select n from deep) = 0
),
actions_events as (
  select
    count(case when e.event_date between :start and :end then 1 end) as cur,
    count(case when e.event_date between :prev_start and :prev_end then 1 end) as prev
  from events e
  join node_orgs n on n.org_id = e.org_id
  where e.stage = 'A' and e.event_date between :prev_start and :end and (select n from deep) > 0
),
windows as (
  select 1 as w, cast(:start as date) as lo, cast(:end as date) as hi
  union all select 2, cast(:prev_start as date), cast(:prev_end as date)
),
whole as (  -- windows that are a whole month, quarter or year to date, whose distinct customers the marts hold
  select w.w, w.lo, max(p.period_type) as period_type
  from windows w
  join mart_periods p on p.period_start = w.lo and w.hi between p.through_date and p.period_end
  group by w.w, w.lo
),
active_mart as (
  select
    coalesce(sum(case when h.w = 1 then m.customers end), 0) as cur,
    coalesce(sum(case when h.w = 2 then m.customers end), 0) as prev
  from whole h
  join mart_org_period m on m.period_type = h.period_type and m.period_start = h.lo
  join scope_orgs s on s.org_id = m.org_id
  where m.org_id = :org_id and m.stage = '*'
),
done as (
  select coalesce(max(case when w = 1 then 1 end), 0) as cur, coalesce(max(case when w = 2 then 1 end), 0) as prev
  from whole
),
active_events as (  -- other windows: distinct customers counted from the date-ordered events
  select
    count(distinct case when d.cur = 0 and e.event_date between :start and :end then e.customer_id end) as cur,
    count(distinct case when d.prev = 0 and e.event_date between :prev_start and :prev_end then e.customer_id end) as prev
  from events e
  join node_orgs n on n.org_id = e.org_id
  cross join done d
  where e.event_date between :prev_start and :end and (select cur + prev from done) < 2
),
activity as (
  select am.cur + ae.cur as active_cur, am.prev + ae.prev as active_prev,
         xm.cur + xe.cur as actions_cur, xm.prev + xe.prev as actions_prev
  from active_mart am cross join active_events ae cross join actions_mart xm cross join actions_events xe
),
final as (
  select 'aum' as metric, b.aum_cur as current_value, b.aum_prev as previous_value, 1 as ord from balances b
  union all select 'deposits', b.dep_cur, b.dep_prev, 2 from balances b
  union all select 'new_customers', nc.cur, nc.prev, 3 from new_customers nc
  union all select 'active_customers', a.active_cur, a.active_prev, 4 from activity a
  union all select 'actions', a.actions_cur, a.actions_prev, 5 from activity a
)
select metric, current_value, previous_value from final order by ord
