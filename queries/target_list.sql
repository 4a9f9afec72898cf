-- description: Targets as handed out (org x metric x period), for export to Excel; optionally one period type and year.
-- param: period_type one of(all|month|quarter|year) = all
-- param: year int = 0
with final as (
  select t.org_id, o.name_zh, o.name_en, t.metric, t.period_type, t.period_start, t.target_value
  from targets t
  join scope_orgs s on s.org_id = t.org_id
  join orgs o on o.org_id = t.org_id
  where (:period_type = 'all' or t.period_type = :period_type)
    and (:year = 0 or extract(year from t.period_start) = :year)
)
select org_id, name_zh, name_en, metric, period_type, period_start, target_value
from final
order by period_start, period_type, org_id, metric
