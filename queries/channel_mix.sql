-- description: Omnichannel customers of an org node in a window: customers seen in 1 / 2 / 3+ channels, in 1 / 2 / 3 channel groups, and by channel-group mix, with products bought per customer. Answered from channel_mix_stored when the build stores the window and node.
-- stored: channel_mix_stored
-- param: org_id org
-- param: start date
-- param: end date
with ev as (
  select e.customer_id, e.channel_id, ch.channel_group, case when e.stage = 'A' then e.product_id end as bought
  from events e
  join node_orgs n on n.org_id = e.org_id
  join channels ch on ch.channel_id = e.channel_id
  where e.event_date between :start and :end and e.customer_id is not null
),
per_customer as (
  select customer_id,
         count(distinct channel_id) as n_channels,
         count(distinct channel_group) as n_groups,
         concat_ws('+',
           max(case when channel_group = 'online' then 'online' end),
           max(case when channel_group = 'remote' then 'remote' end),
           max(case when channel_group = 'offline' then 'offline' end)) as mix,
         count(distinct bought) as products
  from ev group by customer_id
),
buckets as (
  select 'channels' as kind, case when n_channels >= 3 then '3+' else cast(n_channels as varchar) end as bucket, products from per_customer
  union all select 'groups', cast(n_groups as varchar), products from per_customer
  union all select 'mix', mix, products from per_customer
),
final as (
  select kind, bucket, count(*) as customers,
         count(*) * 1.0 / sum(count(*)) over (partition by kind) as share,
         avg(products * 1.0) as products_per_customer
  from buckets group by kind, bucket
)
select * from final order by kind, bucket
