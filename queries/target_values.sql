-- description: Targets of one period for an org node and its children (or every node in scope), by metric.
-- param: period_type one of(month|quarter|year)
-- param: period_start date
-- param: parent str = all
with nodes as (
  select o.org_id, o.parent_id, o.level, o.name_zh, o.name_en
  from orgs o
  join scope_orgs s on s.org_id = o.org_id
  where :parent = 'all' or o.org_id = :parent or o.parent_id = :parent
),
final as (
  select n.org_id, n.parent_id, n.level, n.name_zh, n.name_en, t.metric, t.target_value
  from targets t
  join nodes n on n.org_id = t.org_id
  where t.period_type = :period_type and t.period_start = :period_start
)
select org_id, parent_id, level, name_zh, name_en, metric, target_value from final order by level, org_id, metric
