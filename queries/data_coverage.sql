-- description: Which kinds of data the warehouse holds for an org node: rows in the period and in all, per data set, and whether a page can show figures from it (has_data) or must say "no data" instead of 0. Customers in the period are those opened in it (a source without opening dates has none there), in all every stored customer; balances need a row in the period.
-- param: org_id org
-- param: start date
-- param: end date
with counts as (
  select 'customers' as dataset,
         count(case when k.opened_date between :start and :end then 1 end) as rows_in_period, count(*) as rows_total
  from customers k join node_orgs n on n.org_id = k.org_id
  union all
  select 'events', count(case when e.event_date between :start and :end then 1 end), count(*)
  from events e join node_orgs n on n.org_id = e.org_id
  union all
  select 'referrals', count(case when cast(r.created_at as date) between :start and :end then 1 end), count(*)
  from referrals r join node_orgs n on n.org_id = r.org_id
  union all
  select 'balances_daily', count(case when b.balance_date between :start and :end then 1 end), count(*)
  from balances_daily b join node_orgs n on n.org_id = b.org_id
  union all
  select 'targets', count(case when t.period_start between :start and :end then 1 end), count(*)
  from targets t join node_orgs n on n.org_id = t.org_id
  union all
  select 'service_records', count(case when v.record_date between :start and :end then 1 end), count(*)
  from service_records v join node_orgs n on n.org_id = v.org_id
  union all
  select 'customer_opened', count(case when k.opened_date between :start and :end then 1 end), count(k.opened_date)
  from customers k join node_orgs n on n.org_id = k.org_id
  union all
  select 'prior_outcomes', count(case when p.contact_date between :start and :end then 1 end), count(*)
  from prior_outcomes p join node_orgs n on n.org_id = p.org_id
  union all
  select 'customer_attributes', count(*), count(*)
  from customer_attributes a join node_orgs n on n.org_id = a.org_id
  union all
  select 'lifecycle_changes', count(case when l.change_date between :start and :end then 1 end), count(*)
  from lifecycle_changes l join node_orgs n on n.org_id = l.org_id
)
select dataset, rows_in_period, rows_total,
       case when dataset = 'balances_daily' then rows_in_period > 0 else rows_total > 0 end as has_data
from counts
