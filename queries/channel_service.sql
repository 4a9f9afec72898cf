-- description: Service standard per channel for an org node in a window (response time, first-contact resolution, satisfaction, complaints) and how far channels spread apart (coefficient of variation across channels; lower = more unified).
-- param: org_id org
-- param: start date
-- param: end date
-- param: channel_group one of(all|online|remote|offline) = all
-- prepared:
with per_channel as (
  select r.channel_id, ch.channel_group, count(*) as records,
         percentile_cont(0.5) within group (order by r.response_seconds) as median_response_seconds,
         avg(case when r.resolved then 1.0 else 0 end) as resolution_rate,
         avg(r.satisfaction * 1.0) as satisfaction,
         avg(case when r.complaint then 1.0 else 0 end) as complaint_rate
  from service_records r
  join node_orgs n on n.org_id = r.org_id
  join channels ch on ch.channel_id = r.channel_id
  where r.record_date between :start and :end
    and (:channel_group = 'all' or ch.channel_group = :channel_group)
  group by r.channel_id, ch.channel_group
),
final as (
  select *,
         stddev_pop(median_response_seconds) over () / nullif(avg(median_response_seconds) over (), 0) as spread_response,
         stddev_pop(resolution_rate) over () / nullif(avg(resolution_rate) over (), 0) as spread_resolution,
         stddev_pop(satisfaction) over () / nullif(avg(satisfaction) over (), 0) as spread_satisfaction,
         stddev_pop(complaint_rate) over () / nullif(avg(complaint_rate) over (), 0) as spread_complaint
  from per_channel
)
select * from final order by channel_group, channel_id
