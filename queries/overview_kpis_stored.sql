-- description: The overview's KPI tiles from the metric values stored by `cockpit build` (mart_metric_values, cockpit/warehouse/metric_store.py): the rows overview_kpis returns, read from the same metric dictionary figures the targets page and the guidance read, when both windows are stored for the node; no rows otherwise (overview_kpis then computes).
-- param: org_id org
-- param: start date
-- param: end date
-- param: prev_start date
-- param: prev_end date
with tiles as (
  select * from (values ('aum', 1), ('deposits', 2), ('new_customers', 3), ('active_customers', 4), ('actions', 5))
    v(metric, ord)
),
stored as (
  select m.metric, m.window_start, m.window_end, m.value
  from mart_metric_values m
  join scope_orgs s on s.org_id = m.org_id
  where m.org_id = :org_id and m.grain = 'window'
    and ((m.window_start = :start and m.window_end = :end)
      or (m.window_start = :prev_start and m.window_end = :prev_end))
),
final as (
  select t.metric, coalesce(c.value, 0) as current_value, coalesce(p.value, 0) as previous_value, t.ord
  from tiles t
  join stored c on c.metric = t.metric and c.window_start = :start and c.window_end = :end
  join stored p on p.metric = t.metric and p.window_start = :prev_start and p.window_end = :prev_end
)
select metric, current_value, previous_value from final order by ord
