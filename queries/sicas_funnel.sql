-- description: SICAS funnel of an org node (rule in cockpit/domain/sicas.py): unique customers per stage, % of first and previous stage, median and 75th-percentile hours from the previous stage (for the whole funnel; slices carry counts and shares); per slice of a breakdown, for the whole window or per calendar week. Answered from sicas_funnel_stored when the build stores the window and node.
-- stored: sicas_funnel_stored
-- include: sicas_reach
-- include: sicas_stages
-- param: org_id org
-- param: start date
-- param: end date
-- param: channel_group one of(all|online|remote|offline) = all
-- param: by one of(total|channel|channel_group|segment|campaign|product|child) = total
-- param: grain one of(period|week) = period
with ev as (
  select e.event_id, e.customer_id, e.event_ts, e.campaign_id, e.product_id,
         case when :grain = 'week' then cast(date_trunc('week', e.event_date) as date) else cast(:start as date) end as w
  from events e
  join node_orgs n on n.org_id = e.org_id
  where :by in ('campaign', 'product') and e.event_date between :start and :end and e.customer_id is not null
),
first_named as (
  select customer_id, w, campaign_id, product_id,
         row_number() over (partition by customer_id, w, campaign_id is null order by event_ts, event_id) as rn_campaign,
         row_number() over (partition by customer_id, w, product_id is null order by event_ts, event_id) as rn_product
  from ev
),
campaign as (select customer_id, w, campaign_id from first_named where rn_campaign = 1 and campaign_id is not null),
product as (select customer_id, w, product_id from first_named where rn_product = 1 and product_id is not null),
child as (
  select oc.descendant_id as org_id, o.org_id as child_id
  from org_closure oc
  join orgs o on o.org_id = oc.ancestor_id and o.parent_id = :org_id
),
reach as (
  select r.customer_id, r.w, r.t1, r.t2, r.t3, r.t4, r.t5,
         case
           when :by = 'channel' then r.channel_id
           when :by = 'channel_group' then r.channel_group
           when :by = 'segment' then k.segment
           when :by = 'campaign' then coalesce(cp.campaign_id, '-')
           when :by = 'product' then coalesce(pr.product_id, '-')
           when :by = 'child' then coalesce(cd.child_id, r.org_id)
           else 'total'
         end as slice
  from sicas_reach r
  left join customers k on k.customer_id = r.customer_id
  left join campaign cp on cp.customer_id = r.customer_id and cp.w = r.w
  left join product pr on pr.customer_id = r.customer_id and pr.w = r.w
  left join child cd on cd.org_id = r.org_id
),
steps as (
  select slice, w, 1 as stage_no, t1 as t, cast(null as timestamp) as t_prev from reach
  union all select slice, w, 2, t2, t1 from reach where t2 is not null
  union all select slice, w, 3, t3, t2 from reach where t3 is not null
  union all select slice, w, 4, t4, t3 from reach where t4 is not null
  union all select slice, w, 5, t5, t4 from reach where t5 is not null
),
grid as (
  select sw.slice, sw.w, st.stage_no, st.stage
  from (select distinct slice, w from reach) sw cross join sicas_stages st
),
agg as (
  -- hours are null, not 0, when the source gives no timing: every step on the same day as the one before,
  -- at midnight (a source that records days only, such as UCI Bank Marketing)
  select slice, w, stage_no, count(*) as customers,
         case when count(case when t <> t_prev or t <> date_trunc('day', t) then 1 end) > 0 then
           percentile_cont(0.5) within group (order by case when :by = 'total' then date_diff('second', t_prev, t) / 3600.0 end) end as median_hours,
         case when count(case when t <> t_prev or t <> date_trunc('day', t) then 1 end) > 0 then
           percentile_cont(0.75) within group (order by case when :by = 'total' then date_diff('second', t_prev, t) / 3600.0 end) end as p75_hours
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
