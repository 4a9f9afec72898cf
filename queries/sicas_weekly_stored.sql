-- description: The weekly SICAS trend as stored by `cockpit build` (mart_sicas_weekly, cockpit/warehouse/weekly_mart.py): the rows sicas_weekly returns, for a node from the sub-branches up and the trend the current periods show; no rows otherwise (sicas_weekly then counts from the events).
-- param: org_id org
-- param: start date
-- param: end date
-- param: channel_group one of(all|online|remote|offline) = all
with final as (
  select m.week_start, m.stage_no, m.stage, m.customers, m.prev_customers, m.step_rate
  from mart_sicas_weekly m
  join scope_orgs s on s.org_id = m.org_id
  where m.org_id = :org_id and m.window_start = :start and m.window_end = :end
    and m.channel_group = :channel_group
)
select * from final order by week_start, stage_no
