-- description: The return flow as stored by `cockpit build` (mart_channel_return, cockpit/warehouse/return_mart.py): the rows channel_return_flow returns, for a node from the sub-branches up, a month, quarter or year to its through date and the stored gap; no rows otherwise (channel_return_flow then counts from the events).
-- param: org_id org
-- param: start date
-- param: end date
-- param: gap_days int = 90
-- a month, quarter and year with the same window hold the same rows: each is returned once
with final as (
  select distinct m.kind, m.source, m.customers
  from mart_channel_return m
  join scope_orgs s on s.org_id = m.org_id
  where m.org_id = :org_id and m.window_start = :start and m.window_end = :end and m.gap_days = :gap_days
)
select * from final order by kind, source
