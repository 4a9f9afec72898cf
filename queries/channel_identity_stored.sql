-- description: Channel integration as stored by `cockpit build` (mart_channel_identity, cockpit/warehouse/channel_mart.py): the row channel_identity returns, for a node from the sub-branches up and a month, quarter or year to its through date; no row otherwise (channel_identity then counts from the events).
-- param: org_id org
-- param: start date
-- param: end date
with final as (
  select m.events, m.known_events, m.known_events * 1.0 / nullif(m.events, 0) as known_share, m.customers,
         case when m.unified_known > 0 then m.unified_customers end as unified_customers,
         m.unified_customers * 1.0 / nullif(m.unified_known, 0) as unified_share
  from mart_channel_identity m
  join scope_orgs s on s.org_id = m.org_id
  where m.org_id = :org_id and m.window_start = :start and m.window_end = :end
)
select * from final
