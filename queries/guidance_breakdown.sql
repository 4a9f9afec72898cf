-- description: Guidance: a flow metric (SICAS Actions or sales, as in cockpit/domain/metrics.yaml) of an org node in a window and a comparable earlier one, split by child node, channel, segment and product.
-- param: org_id org
-- param: start date
-- param: end date
-- param: prev_start date
-- param: prev_end date
-- param: metric one of(actions|sales) = actions
with children as (
  select o.org_id as child_id, c.descendant_id as org_id
  from orgs o
  join org_closure c on c.ancestor_id = o.org_id
  join node_orgs n on n.org_id = c.descendant_id
  where o.parent_id = :org_id
),
ev as (
  select e.org_id, e.channel_id, coalesce(k.segment, 'unknown') as segment, coalesce(e.product_id, 'none') as product_id,
         case when e.event_date between :start and :end then 1 else 0 end as is_cur,
         case when :metric = 'sales' then e.amount when e.stage = 'A' then 1 else 0 end as v
  from events e
  join node_orgs n on n.org_id = e.org_id
  left join customers k on k.customer_id = e.customer_id
  where (e.event_date between :start and :end or e.event_date between :prev_start and :prev_end)
    and (e.stage = 'A' or :metric = 'sales')
),
parts as (
  select 'org' as dimension, ch.child_id as member, sum(v * is_cur) as cur, sum(v * (1 - is_cur)) as prev
  from ev join children ch on ch.org_id = ev.org_id group by ch.child_id
  union all
  select 'channel', channel_id, sum(v * is_cur), sum(v * (1 - is_cur)) from ev group by channel_id
  union all
  select 'segment', segment, sum(v * is_cur), sum(v * (1 - is_cur)) from ev group by segment
  union all
  select 'product', product_id, sum(v * is_cur), sum(v * (1 - is_cur)) from ev group by product_id
),
final as (
  select dimension, member, cur, prev, cur - prev as delta from parts
)
select * from final order by dimension, delta, member
