-- description: Monthly on-time follow-up rate per referral route (channel to channel) of an org node, for referrals created in a window (rules in cockpit/domain/channels.py). Answered from referral_monthly_stored when the build stores the window and node.
-- stored: referral_monthly_stored
-- include: referral_facts
-- param: org_id org
-- param: start date
-- param: end date
with refs as (
  select from_channel_id, to_channel_id, month, on_time
  from referral_facts f
  join scope_orgs s on s.org_id = f.org_id  -- already the node's subtree; the layer checks every query reads scope_orgs
),
final as (
  select from_channel_id, to_channel_id, month, count(*) as created, sum(on_time) as on_time,
         sum(on_time) * 1.0 / count(*) as on_time_rate
  from refs group by from_channel_id, to_channel_id, month
)
select * from final order by from_channel_id, to_channel_id, month
