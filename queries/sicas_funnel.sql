-- description: SICAS funnel of an org node (rule in cockpit/sicas.py): unique customers per stage, % of first and previous stage, median and 75th-percentile hours from the previous stage; per slice of a breakdown, for the whole window or per calendar week.
-- param: org_id org
-- param: start date
-- param: end date
-- param: channel_group one of(all|online|remote|offline) = all
-- param: by one of(total|channel|channel_group|segment|campaign|product|child) = total
-- param: grain one of(period|week) = period
with nodes as (
  select c.descendant_id as org_id
  from org_closure c
  join scope_orgs s on s.org_id = c.descendant_id
  where c.ancestor_id = :org_id
),
ev as (
  select e.event_id, e.customer_id, e.event_ts, e.stage, e.channel_id, e.campaign_id, e.product_id, e.org_id,
         case when :grain = 'week' then cast(date_trunc('week', e.event_date) as date) else cast(:start as date) end as w
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
first_named as (
  select customer_id, w, campaign_id, product_id,
         row_number() over (partition by customer_id, w, campaign_id is null order by event_ts, event_id) as rn_campaign,
         row_number() over (partition by customer_id, w, product_id is null order by event_ts, event_id) as rn_product
  from ev
  where :by in ('campaign', 'product')
),
campaign as (select customer_id, w, campaign_id from first_named where rn_campaign = 1 and campaign_id is not null),
product as (select customer_id, w, product_id from first_named where rn_product = 1 and product_id is not null),
child as (
  select oc.descendant_id as org_id, o.org_id as child_id
  from org_closure oc
  join orgs o on o.org_id = oc.ancestor_id and o.parent_id = :org_id
),
reach as (
  select s1.customer_id, s1.w, s1.t as t1, s2.t as t2, s3.t as t3, s4.t as t4, s5.t as t5,
         case
           when :by = 'channel' then s1.channel_id
           when :by = 'channel_group' then ch.channel_group
           when :by = 'segment' then k.segment
           when :by = 'campaign' then coalesce(cp.campaign_id, '-')
           when :by = 'product' then coalesce(pr.product_id, '-')
           when :by = 'child' then coalesce(cd.child_id, s1.org_id)
           else 'total'
         end as slice
  from s1
  join channels ch on ch.channel_id = s1.channel_id
  left join s2 on s2.customer_id = s1.customer_id and s2.w = s1.w
  left join s3 on s3.customer_id = s1.customer_id and s3.w = s1.w
  left join s4 on s4.customer_id = s1.customer_id and s4.w = s1.w
  left join s5 on s5.customer_id = s1.customer_id and s5.w = s1.w
  left join customers k on k.customer_id = s1.customer_id
  left join campaign cp on cp.customer_id = s1.customer_id and cp.w = s1.w
  left join product pr on pr.customer_id = s1.customer_id and pr.w = s1.w
  left join child cd on cd.org_id = s1.org_id
  where :channel_group = 'all' or ch.channel_group = :channel_group
),
steps as (
  select slice, w, 1 as stage_no, t1 as t, cast(null as timestamp) as t_prev from reach
  union all select slice, w, 2, t2, t1 from reach where t2 is not null
  union all select slice, w, 3, t3, t2 from reach where t3 is not null
  union all select slice, w, 4, t4, t3 from reach where t4 is not null
  union all select slice, w, 5, t5, t4 from reach where t5 is not null
),
stages as (
  select 1 as stage_no, 'S' as stage union all select 2, 'I' union all select 3, 'C'
  union all select 4, 'A' union all select 5, 'H'
),
grid as (
  select sw.slice, sw.w, st.stage_no, st.stage
  from (select distinct slice, w from reach) sw cross join stages st
),
agg as (
  select slice, w, stage_no, count(*) as customers,
         percentile_cont(0.5) within group (order by extract(epoch from (t - t_prev)) / 3600.0) as median_hours,
         percentile_cont(0.75) within group (order by extract(epoch from (t - t_prev)) / 3600.0) as p75_hours
  from steps
  group by slice, w, stage_no
),
counted as (
  select g.slice, g.w, g.stage_no, g.stage, coalesce(a.customers, 0) as customers, a.median_hours, a.p75_hours
  from grid g
  left join agg a on a.slice = g.slice and a.w = g.w and a.stage_no = g.stage_no
),
final as (
  select slice, w as window_start, stage_no, stage, customers,
         customers * 1.0 / nullif(max(case when stage_no = 1 then customers end) over (partition by slice, w), 0) as pct_first,
         customers * 1.0 / nullif(lag(customers) over (partition by slice, w order by stage_no), 0) as pct_prev,
         median_hours, p75_hours
  from counted
)
select * from final order by slice, window_start, stage_no
