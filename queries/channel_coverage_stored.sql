-- description: The sources as stored by `cockpit build` (mart_channel_coverage, cockpit/warehouse/coverage_mart.py): the rows channel_coverage returns, for a node from the sub-branches up and a month, quarter or year to its through date; no rows otherwise (channel_coverage then looks in the detail tables).
-- param: org_id org
-- param: start date
-- param: end date
-- every source but the balances holds one row per node for the whole history; the balances one per window
with final as (
  select distinct m.dataset, m.has_data
  from mart_channel_coverage m
  join scope_orgs s on s.org_id = m.org_id
  where m.org_id = :org_id
    and (m.window_start is null or (m.window_start = :start and m.window_end = :end))
    and exists (
      select 1 from mart_channel_coverage w
      where w.org_id = :org_id and w.window_start = :start and w.window_end = :end
    )
)
select dataset, has_data from final order by dataset
