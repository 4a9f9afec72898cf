-- description: Which sources the SICAS and channel pages can show figures from for an org node: the data sets of data_coverage plus online, WeCom and Share events, unified ids and segments (has_data false = the warehouse holds none at all, so a page says "no data for this source" instead of 0).
-- include: data_coverage
-- param: org_id org
-- param: start date
-- param: end date
with ev as (
  select e.stage, e.event_type, ch.channel_group, e.channel_id
  from events e
  join node_orgs n on n.org_id = e.org_id
  join channels ch on ch.channel_id = e.channel_id
),
known as (
  select k.unified_id, k.segment
  from customers k
  join node_orgs n on n.org_id = k.org_id
),
extra as (
  select 'online' as dataset, count(case when channel_group = 'online' then 1 end) as rows_total from ev
  union all
  select 'wecom', count(case when channel_id in ('wecom_1to1', 'wecom_group', 'wecom_moments') or event_type = 'add_wecom' then 1 end) from ev
  union all
  select 'share', count(case when stage = 'H' then 1 end) from ev
  union all
  select 'unified_id', count(unified_id) from known
  union all
  select 'segment', count(segment) from known
),
final as (
  select dataset, has_data from data_coverage
  union all
  select dataset, rows_total > 0 from extra
)
select dataset, has_data from final order by dataset
