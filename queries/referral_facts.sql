-- description: The referral rules of cockpit/domain/channels.py applied once, per referral of an org node created in a window: its route (channels and channel groups), month, whether accepted, followed up within the SLA and converted, and the follow-up hours.
-- param: org_id org
-- param: start date
-- param: end date
with final as (
  select r.referral_id, r.org_id, r.from_channel_id, r.to_channel_id, fc.channel_group as from_group, tc.channel_group as to_group,
         case when fc.channel_id is not null and tc.channel_id is not null then 1 else 0 end as known_route,
         cast(date_trunc('month', r.created_at) as date) as month,
         case when r.accepted_at is not null then 1 else 0 end as accepted,
         case when r.followed_up_at is not null
               and date_diff('second', r.created_at, r.followed_up_at) <= r.sla_hours * 3600 then 1 else 0 end as on_time,
         case when r.outcome = 'converted' then 1 else 0 end as converted,
         date_diff('second', r.created_at, r.followed_up_at) / 3600.0 as followup_hours
  from referrals r
  join node_orgs n on n.org_id = r.org_id
  left join channels fc on fc.channel_id = r.from_channel_id
  left join channels tc on tc.channel_id = r.to_channel_id
  where cast(r.created_at as date) between :start and :end
)
select * from final
