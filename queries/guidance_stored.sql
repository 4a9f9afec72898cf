-- description: The guidance of an org node and period as stored by `cockpit build` (mart_guidance, mart_insights; cockpit/guidance/stored.py): one row per insight in the engine's order, or one row with no insight when the engine found none; no rows when the node and period are not stored as of that day (the engine then runs on demand).
-- param: org_id org
-- param: period_type one of(month|quarter|year)
-- param: period_start date
-- param: as_of date
select g.insights as stored_insights, i.position, i.insight_key, i.type, i.audience, i.severity,
       i.subject_org_id, i.metric, i.standing, i.key_json, i.figures_json, i.labels_json, i.evidence_json
from mart_guidance g
join scope_orgs s on s.org_id = g.org_id
left join mart_insights i
  on i.org_id = g.org_id and i.period_type = g.period_type and i.period_start = g.period_start
 and i.as_of = g.as_of
 and i.subject_org_id in (select org_id from scope_orgs)
where g.org_id = :org_id and g.period_type = :period_type and g.period_start = :period_start
  and g.as_of = :as_of
order by i.position
