-- description: Drop-off list of the SICAS funnel (rule in cockpit/sicas.py): customers of an org node who counted at a stage in the window and not at the next, newest first, for frontline follow-up.
-- param: org_id org
-- param: start date
-- param: end date
-- param: stage one of(S|I|C|A) = C
-- param: channel_group one of(all|online|remote|offline) = all
-- param: max_rows int = 5000
with nodes as (
  select c.descendant_id as org_id
  from org_closure c
  join scope_orgs s on s.org_id = c.descendant_id
  where c.ancestor_id = :org_id
),
ev as (
  select e.event_id, e.customer_id, e.event_ts, e.stage, e.channel_id, e.campaign_id, e.product_id, e.org_id,
         cast(:start as date) as w
  from events e
  join nodes n on n.org_id = e.org_id
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
reach as (
  select s1.customer_id, s1.channel_id, s1.org_id,
         case
           when :stage = 'S' and s2.t is null then s1.t
           when :stage = 'I' and s2.t is not null and s3.t is null then s2.t
           when :stage = 'C' and s3.t is not null and s4.t is null then s3.t
           when :stage = 'A' and s4.t is not null and s5.t is null then s4.t
         end as reached_at
  from s1
  join channels ch on ch.channel_id = s1.channel_id
  left join s2 on s2.customer_id = s1.customer_id and s2.w = s1.w
  left join s3 on s3.customer_id = s1.customer_id and s3.w = s1.w
  left join s4 on s4.customer_id = s1.customer_id and s4.w = s1.w
  left join s5 on s5.customer_id = s1.customer_id and s5.w = s1.w
  where :channel_group = 'all' or ch.channel_group = :channel_group
),
final as (
  select r.customer_id, k.org_id, k.manager_id, k.segment, k.tier, k.lifecycle_state,
         :stage as stopped_at, r.reached_at, r.channel_id as entry_channel_id
  from reach r
  join customers k on k.customer_id = r.customer_id
  join nodes n on n.org_id = k.org_id
  where r.reached_at is not null
)
select * from final order by reached_at desc, customer_id
limit :max_rows
