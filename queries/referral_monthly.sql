-- description: Monthly on-time follow-up rate per referral route (channel to channel) of an org node, for referrals created in a window (rules in cockpit/channels.py).
-- param: org_id org
-- param: start date
-- param: end date
with nodes as (
  select c.descendant_id as org_id
  from org_closure c
  join scope_orgs s on s.org_id = c.descendant_id
  where c.ancestor_id = :org_id
),
refs as (
  select r.from_channel_id, r.to_channel_id, cast(date_trunc('month', r.created_at) as date) as month,
         case when r.followed_up_at is not null
               and extract(epoch from (r.followed_up_at - r.created_at)) <= r.sla_hours * 3600 then 1 else 0 end as on_time
  from referrals r
  join nodes n on n.org_id = r.org_id
  where cast(r.created_at as date) between :start and :end
),
final as (
  select from_channel_id, to_channel_id, month, count(*) as created, sum(on_time) as on_time,
         sum(on_time) * 1.0 / count(*) as on_time_rate
  from refs group by from_channel_id, to_channel_id, month
)
select * from final order by from_channel_id, to_channel_id, month
