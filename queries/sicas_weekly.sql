-- description: Weekly SICAS activity of an org node: unique customers with an event at each stage in each calendar week (Monday start) and the step rate from the stage before (a throughput ratio, since most journeys take longer than a week). Answered from sicas_weekly_stored when the build stores the trend and node.
-- stored: sicas_weekly_stored
-- include: sicas_stages
-- param: org_id org
-- param: start date
-- param: end date
-- param: channel_group one of(all|online|remote|offline) = all
with ev as (
  select e.customer_id, e.stage, cast(date_trunc('week', e.event_date) as date) as week_start
  from events e
  join node_orgs n on n.org_id = e.org_id
  join channels ch on ch.channel_id = e.channel_id
  where e.event_date between :start and :end and e.customer_id is not null
    and (:channel_group = 'all' or ch.channel_group = :channel_group)
),
weeks as (select distinct week_start from ev),
counted as (
  select week_start, stage, count(distinct customer_id) as customers
  from ev group by week_start, stage
),
grid as (
  select w.week_start, st.stage_no, st.stage, coalesce(c.customers, 0) as customers
  from weeks w
  cross join sicas_stages st
  left join counted c on c.week_start = w.week_start and c.stage = st.stage
),
final as (
  select week_start, stage_no, stage, customers,
         lag(customers) over (partition by week_start order by stage_no) as prev_customers,
         customers * 1.0 / nullif(lag(customers) over (partition by week_start order by stage_no), 0) as step_rate
  from grid
)
select * from final order by week_start, stage_no
