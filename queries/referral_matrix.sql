-- description: Referral matrix of an org node for referrals created in a window, by route between channels or channel groups (rules in cockpit/channels.py): created, accepted, followed up within the SLA, converted, median follow-up hours.
-- param: org_id org
-- param: start date
-- param: end date
-- param: level one of(channel|group) = channel
-- param: channel_group one of(all|online|remote|offline) = all
with nodes as (
  select c.descendant_id as org_id
  from org_closure c
  join scope_orgs s on s.org_id = c.descendant_id
  where c.ancestor_id = :org_id
),
refs as (
  select case when :level = 'group' then fc.channel_group else r.from_channel_id end as from_id,
         case when :level = 'group' then tc.channel_group else r.to_channel_id end as to_id,
         fc.channel_group as from_group, tc.channel_group as to_group,
         case when r.accepted_at is not null then 1 else 0 end as accepted,
         case when r.followed_up_at is not null
               and extract(epoch from (r.followed_up_at - r.created_at)) <= r.sla_hours * 3600 then 1 else 0 end as on_time,
         case when r.outcome = 'converted' then 1 else 0 end as converted,
         extract(epoch from (r.followed_up_at - r.created_at)) / 3600.0 as followup_hours
  from referrals r
  join nodes n on n.org_id = r.org_id
  join channels fc on fc.channel_id = r.from_channel_id
  join channels tc on tc.channel_id = r.to_channel_id
  where cast(r.created_at as date) between :start and :end
    and (:channel_group = 'all' or fc.channel_group = :channel_group or tc.channel_group = :channel_group)
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
