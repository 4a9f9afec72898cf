-- description: Return flow of an org node in a window: customers won back from dormant or churned (lifecycle changes), customers back online after at least gap_days without an online touchpoint, and customers contacted in the window who came from an earlier campaign, by that campaign's outcome (prior_outcomes). Answered from channel_return_flow_stored when the build stores the window, node and gap.
-- stored: channel_return_flow_stored
-- param: org_id org
-- param: start date
-- param: end date
-- param: gap_days int = 90
with won_back as (
  select 'won_back' as kind, l.from_state as source, count(distinct l.customer_id) as customers
  from lifecycle_changes l
  join node_orgs n on n.org_id = l.org_id
  where l.change_date between :start and :end and l.to_state = 'won_back'
  group by l.from_state
),
-- every online touch of a known customer up to the window's end, read once for the two uses below
online_events as (
  select e.customer_id, e.event_date, e.event_ts, e.event_id
  from events e
  join node_orgs n on n.org_id = e.org_id
  join channels ch on ch.channel_id = e.channel_id
  where ch.channel_group = 'online' and e.customer_id is not null and e.event_date <= :end
),
-- the window's touches and the gap_days before it: the previous touch of one in the window, when it is that
-- recent, is among them
online as (
  select customer_id, event_date,
         lag(event_date) over (partition by customer_id order by event_ts, event_id) as previous_date
  from online_events
  where event_date >= cast(:start as date) - :gap_days * interval 1 day
),
-- customers touched online before that: for them a first touch in the window comes after a longer gap
seen_before as (
  select distinct customer_id
  from online_events
  where event_date < cast(:start as date) - :gap_days * interval 1 day
),
back_online as (
  select 'back_online' as kind, 'online' as source, count(distinct o.customer_id) as customers
  from online o
  left join seen_before b on b.customer_id = o.customer_id
  where o.event_date between :start and :end
    and ((o.previous_date is not null and date_diff('day', o.previous_date, o.event_date) >= :gap_days)
         or (o.previous_date is null and b.customer_id is not null))
),
earlier_campaign as (
  select 'earlier_campaign' as kind, 'prior_' || p.outcome as source, count(distinct p.customer_id) as customers
  from prior_outcomes p
  join node_orgs n on n.org_id = p.org_id
  where p.contact_date between :start and :end
  group by p.outcome
),
final as (
  select * from won_back
  union all select * from back_online
  union all select * from earlier_campaign
)
select * from final order by kind, source
