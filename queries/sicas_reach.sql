-- description: The SICAS ordering rule applied once (cockpit/domain/sicas.py): per customer of an org node and window (the period, or each calendar week), the moment they counted at each stage (t1 Sense … t5 Share; null = not reached) and the channel, channel group and org node of their Sense event.
-- param: org_id org
-- param: start date
-- param: end date
-- param: channel_group one of(all|online|remote|offline) = all
-- param: grain one of(period|week) = period
with ev as (
  select e.event_id, e.customer_id, e.event_ts, e.stage, e.channel_id, e.org_id,
         case when :grain = 'week' then cast(date_trunc('week', e.event_date) as date) else cast(:start as date) end as w
  from events e
  join node_orgs n on n.org_id = e.org_id
  where e.event_date between :start and :end and e.customer_id is not null
),
sense_ranked as (
  select customer_id, w, event_ts, channel_id, org_id,
         row_number() over (partition by customer_id, w order by event_ts, event_id) as rn
  from ev where stage = 'S'
),
s1 as (select customer_id, w, event_ts as t, channel_id, org_id from sense_ranked where rn = 1),
s2 as (
  select e.customer_id, e.w, min(e.event_ts) as t
  from ev e join s1 p on p.customer_id = e.customer_id and p.w = e.w and e.event_ts >= p.t
  where e.stage = 'I' group by e.customer_id, e.w
),
s3 as (
  select e.customer_id, e.w, min(e.event_ts) as t
  from ev e join s2 p on p.customer_id = e.customer_id and p.w = e.w and e.event_ts >= p.t
  where e.stage = 'C' group by e.customer_id, e.w
),
s4 as (
  select e.customer_id, e.w, min(e.event_ts) as t
  from ev e join s3 p on p.customer_id = e.customer_id and p.w = e.w and e.event_ts >= p.t
  where e.stage = 'A' group by e.customer_id, e.w
),
s5 as (
  select e.customer_id, e.w, min(e.event_ts) as t
  from ev e join s4 p on p.customer_id = e.customer_id and p.w = e.w and e.event_ts >= p.t
  where e.stage = 'H' group by e.customer_id, e.w
),
final as (
  select s1.customer_id, s1.w, s1.t as t1, s2.t as t2, s3.t as t3, s4.t as t4, s5.t as t5,
         s1.channel_id, ch.channel_group, s1.org_id
  from s1
  join channels ch on ch.channel_id = s1.channel_id
  left join s2 on s2.customer_id = s1.customer_id and s2.w = s1.w
  left join s3 on s3.customer_id = s1.customer_id and s3.w = s1.w
  left join s4 on s4.customer_id = s1.customer_id and s4.w = s1.w
  left join s5 on s5.customer_id = s1.customer_id and s5.w = s1.w
  where :channel_group = 'all' or ch.channel_group = :channel_group
)
select * from final
