-- description: The SICAS funnel as stored by `cockpit build` (mart_sicas_funnel, cockpit/warehouse/funnel_mart.py): the rows sicas_funnel returns, for a node from the sub-branches up and a window the build stores; no rows otherwise (sicas_funnel then counts from the events).
-- include: sicas_stages
-- param: org_id org
-- param: start date
-- param: end date
-- param: channel_group one of(all|online|remote|offline) = all
-- param: by one of(total|channel|channel_group|segment|campaign|product|child) = total
-- param: grain one of(period|week) = period
with stored as (
  select m.*
  from mart_sicas_funnel m
  join scope_orgs s on s.org_id = m.org_id
  where m.org_id = :org_id and m.window_start = :start and m.window_end = :end
    and m.channel_group = :channel_group and m.breakdown = :by and :grain = 'period'
),
long as (
  select m.slice, m.window_start, st.stage_no, st.stage,
         case st.stage when 'S' then m.customers_s when 'I' then m.customers_i when 'C' then m.customers_c
                       when 'A' then m.customers_a else m.customers_h end as customers,
         case st.stage when 'I' then m.median_hours_i when 'C' then m.median_hours_c
                       when 'A' then m.median_hours_a when 'H' then m.median_hours_h end as median_hours,
         case st.stage when 'I' then m.p75_hours_i when 'C' then m.p75_hours_c
                       when 'A' then m.p75_hours_a when 'H' then m.p75_hours_h end as p75_hours
  from stored m
  cross join sicas_stages st
),
final as (
  select slice, window_start, stage_no, stage, customers,
         customers * 1.0 / nullif(max(case when stage_no = 1 then customers end) over (partition by slice, window_start), 0) as pct_first,
         customers * 1.0 / nullif(lag(customers) over (partition by slice, window_start order by stage_no), 0) as pct_prev,
         median_hours, p75_hours
  from long
)
select * from final order by slice, window_start, stage_no
