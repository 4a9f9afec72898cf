-- description: The metric values as stored by `cockpit build` (mart_metric_values, cockpit/warehouse/metric_store.py): the rows metric_values returns at grain window for a node from the sub-branches up and its children, over a window the build stores (the current month, quarter and year to date, their comparable windows and the previous whole periods), and at grain day for the head office and a branch over the current month, quarter or year to date; no rows otherwise (metric_values then computes).
-- param: start date
-- param: end date
-- param: parent str = all
-- param: grain one of(window|day) = window
-- param: max_level int = 4
with asked as (  -- the parent is stored with its children only from the sub-branches up
  select 1 as one
  from mart_metric_values p
  where p.org_id = :parent and p.level <= 2 and p.window_start = :start and p.window_end = :end
    and p.grain = :grain
  limit 1
),
final as (
  select m.org_id, m.parent_id, m.level, m.name_zh, m.name_en, m.metric, m.aggregation, m.day, m.value,
         m.opening
  from mart_metric_values m
  join scope_orgs s on s.org_id = m.org_id
  cross join asked
  where m.window_start = :start and m.window_end = :end and m.grain = :grain
    and (m.org_id = :parent or (m.parent_id = :parent and :grain = 'window'))
    and m.level <= :max_level
)
select * from final
order by level, org_id, metric, day
