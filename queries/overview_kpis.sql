-- description: Overview KPI tiles for an org node: AUM, deposits, new customers, active customers, SICAS Actions; this period vs a comparable previous one.
-- param: org_id org
-- param: start date
-- param: end date
-- param: prev_start date
-- param: prev_end date
with nodes as (
  select c.descendant_id as org_id
  from org_closure c
  join scope_orgs s on s.org_id = c.descendant_id
  where c.ancestor_id = :org_id
),
bal_days as (
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
  join nodes n on n.org_id = b.org_id
  where b.balance_date in (d.cur_day, d.prev_day)
),
new_customers as (
  select
    count(*) filter (where k.opened_date between :start and :end) as cur,
    count(*) filter (where k.opened_date between :prev_start and :prev_end) as prev
  from customers k
  join nodes n on n.org_id = k.org_id
),
activity as (
  select
    count(distinct case when e.event_date between :start and :end then e.customer_id end) as active_cur,
    count(distinct case when e.event_date between :prev_start and :prev_end then e.customer_id end) as active_prev,
    count(case when e.stage = 'A' and e.event_date between :start and :end then 1 end) as actions_cur,
    count(case when e.stage = 'A' and e.event_date between :prev_start and :prev_end then 1 end) as actions_prev
  from events e
  join nodes n on n.org_id = e.org_id
  where e.event_date between :prev_start and :end
),
final as (
  select 'aum' as metric, b.aum_cur as current_value, b.aum_prev as previous_value, 1 as ord from balances b
  union all select 'deposits', b.dep_cur, b.dep_prev, 2 from balances b
  union all select 'new_customers', nc.cur, nc.prev, 3 from new_customers nc
  union all select 'active_customers', a.active_cur, a.active_prev, 4 from activity a
  union all select 'actions', a.actions_cur, a.actions_prev, 5 from activity a
)
select metric, current_value, previous_value from final order by ord
