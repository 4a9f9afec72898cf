-- description: The referral matrix with its SLA figures as stored by `cockpit build` (mart_referral_route, cockpit/warehouse/channel_mart.py): the rows referral_matrix returns, for a node from the sub-branches up and a month, quarter or year to its through date; no rows otherwise (referral_matrix then counts from the referrals).
-- param: org_id org
-- param: start date
-- param: end date
-- param: level one of(channel|group) = channel
-- param: channel_group one of(all|online|remote|offline) = all
with final as (
  select m.from_id, m.to_id, m.from_group, m.to_group, m.created, m.accepted, m.on_time, m.converted,
         m.accepted * 1.0 / m.created as accept_rate,
         m.on_time * 1.0 / m.created as on_time_rate,
         m.converted * 1.0 / m.created as conversion_rate,
         m.median_followup_hours
  from mart_referral_route m
  join scope_orgs s on s.org_id = m.org_id
  where m.org_id = :org_id and m.window_start = :start and m.window_end = :end
    and m.level = :level and m.channel_group = :channel_group
)
select * from final order by created desc, from_id, to_id
