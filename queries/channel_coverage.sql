-- description: Which sources the SICAS and channel pages can show figures from for an org node: the data sets of data_coverage plus online, WeCom and Share events, unified ids and segments (has_data false = the warehouse holds none at all, so a page says "no data for this source" instead of 0). Answered from channel_coverage_stored when the build stores the window and node.
-- stored: channel_coverage_stored
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
-- one matching row is enough: each count stops at the first (limit 1) instead of reading the whole history
extra as (
  select 'online' as dataset, (select count(*) from (select 1 as x from ev where channel_group = 'online' limit 1) a) as rows_total
  union all
  select 'wecom', (select count(*) from (select 1 as x from ev where channel_id in ('wecom_1to1', 'wecom_group', 'wecom_moments')
                                          or event_type = 'add_wecom' limit 1) a)
  union all
  select 'share', (select count(*) from (select 1 as x from ev where stage = 'H' limit 1) a)
  union all
  select 'unified_id', (select count(*) from (select 1 as x from known where unified_id is not null limit 1) a)
  union all
  select 'segment', (select count(*) from (select 1 as x from known where segment is not null limit 1) a)
),
final as (
  select dataset, has_data from data_coverage
  union all
  select dataset, rows_total > 0 from extra
)
select dataset, has_data from final order by dataset
