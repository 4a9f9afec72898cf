-- description: The omnichannel buckets as stored by `cockpit build` (mart_channel_mix, cockpit/warehouse/channel_mart.py): the rows channel_mix returns, for a node from the sub-branches up and a month, quarter or year to its through date; no rows otherwise (channel_mix then counts from the events).
-- param: org_id org
-- param: start date
-- param: end date
with stored as (
  select m.kind, m.bucket, m.customers, m.products
  from mart_channel_mix m
  join scope_orgs s on s.org_id = m.org_id
  where m.org_id = :org_id and m.window_start = :start and m.window_end = :end
),
final as (
  select kind, bucket, customers,
         customers * 1.0 / sum(customers) over (partition by kind) as share,
         products * 1.0 / customers as products_per_customer
  from stored
)
select * from final order by kind, bucket
