-- description: Attribution of an org node's Actions in a window to channels under four models (first touch, last touch, linear, position-based 40/20/40) over the customer's Sense/Interest/Connect touches in the lookback days before each Action; an Action with no touch credits its own channel. Every model's credits add up to the number of Actions.
-- param: org_id org
-- param: start date
-- param: end date
-- param: lookback_days int = 30
-- prepared:
with actions as (
  select e.event_id as action_id, e.customer_id, e.event_ts, e.event_date, e.channel_id
  from events e
  join node_orgs n on n.org_id = e.org_id
  where e.stage = 'A' and e.event_date between :start and :end
),
touches as (
  select a.action_id, t.channel_id, t.event_ts, t.event_id
  from actions a
  join events t on t.customer_id = a.customer_id and t.stage in ('S', 'I', 'C')
   and t.event_ts <= a.event_ts and t.event_date >= a.event_date - :lookback_days
  join node_orgs n on n.org_id = t.org_id
),
with_fallback as (
  select action_id, channel_id, event_ts, event_id from touches
  union all
  select a.action_id, a.channel_id, a.event_ts, a.action_id from actions a
  where not exists (select 1 from touches t where t.action_id = a.action_id)
),
ranked as (
  select action_id, channel_id,
         row_number() over (partition by action_id order by event_ts, event_id) as pos,
         count(*) over (partition by action_id) as n
  from with_fallback
),
credits as (
  select channel_id,
         case when pos = 1 then 1.0 else 0 end as first_touch,
         case when pos = n then 1.0 else 0 end as last_touch,
         1.0 / n as linear,
         case when n = 1 then 1.0 when n = 2 then 0.5 when pos = 1 or pos = n then 0.4 else 0.2 / (n - 2) end as position_based
  from ranked
),
final as (
  select c.channel_id, ch.channel_group,
         sum(first_touch) as first_touch, sum(last_touch) as last_touch,
         sum(linear) as linear, sum(position_based) as position_based
  from credits c
  join channels ch on ch.channel_id = c.channel_id
  group by c.channel_id, ch.channel_group
)
select * from final order by linear desc, channel_id
