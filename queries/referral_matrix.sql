-- description: Referral matrix of an org node for referrals created in a window, by route between channels or channel groups (rules in cockpit/domain/channels.py): created, accepted, followed up within the SLA, converted, median follow-up hours. Answered from referral_matrix_stored when the build stores the window and node.
-- stored: referral_matrix_stored
-- include: referral_facts
-- param: org_id org
-- param: start date
-- param: end date
-- param: level one of(channel|group) = channel
-- param: channel_group one of(all|online|remote|offline) = all
with refs as (
  select case when :level = 'group' then from_group else from_channel_id end as from_id,
         case when :level = 'group' then to_group else to_channel_id end as to_id,
         from_group, to_group, accepted, on_time, converted, followup_hours
  from referral_facts f
  join scope_orgs s on s.org_id = f.org_id  -- already the node's subtree; the layer checks every query reads scope_orgs
  where known_route = 1
    and (:channel_group = 'all' or from_group = :channel_group or to_group = :channel_group)
),
final as (
  select from_id, to_id, min(from_group) as from_group, min(to_group) as to_group,
         count(*) as created, sum(accepted) as accepted, sum(on_time) as on_time, sum(converted) as converted,
         sum(accepted) * 1.0 / count(*) as accept_rate,
         sum(on_time) * 1.0 / count(*) as on_time_rate,
         sum(converted) * 1.0 / count(*) as conversion_rate,
         percentile_cont(0.5) within group (order by followup_hours) as median_followup_hours
  from refs group by from_id, to_id
)
select * from final order by created desc, from_id, to_id
