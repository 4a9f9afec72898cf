-- description: Guidance: a flow metric (SICAS Actions or sales, as in cockpit/domain/metrics.yaml) in a window and a comparable earlier one, split by child node, channel, segment and product, for an org node (`node_id`) and, down to `max_level`, every node of its subtree: what guidance_breakdown returns for each of them, read in one pass over the events (the stored guidance).
-- param: org_id org
-- param: start date
-- param: end date
-- param: prev_start date
-- param: prev_end date
-- param: metric one of(actions|sales) = actions
-- param: max_level int = -1
with nodes as (
  select o.org_id as node_id
  from org_closure c
  join orgs o on o.org_id = c.descendant_id
  join node_orgs n on n.org_id = o.org_id
  where c.ancestor_id = :org_id and (o.org_id = :org_id or o.level <= :max_level)
),
-- each org's ancestor that is a child of one of the nodes
child_of as (
  select k.descendant_id as org_id, o.parent_id as node_id, k.ancestor_id as child_id
  from org_closure k
  join orgs o on o.org_id = k.ancestor_id
  join nodes n on n.node_id = o.parent_id
),
-- every org of the subtree under each node, with the node's child it sits under (none: the node's own org)
under as (
  select c.descendant_id as org_id, n.node_id, ch.child_id
  from nodes n
  join org_closure c on c.ancestor_id = n.node_id
  join node_orgs s on s.org_id = c.descendant_id
  left join child_of ch on ch.org_id = c.descendant_id and ch.node_id = n.node_id
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
-- summed per org first: each node then adds up its subtree's orgs, not their events
by_org as (
  select org_id, channel_id, segment, product_id, sum(v * is_cur) as cur, sum(v * (1 - is_cur)) as prev
  from ev group by org_id, channel_id, segment, product_id
),
at_node as (
  select u.node_id, u.child_id, b.channel_id, b.segment, b.product_id, b.cur, b.prev
  from by_org b join under u on u.org_id = b.org_id
),
parts as (
  select node_id, 'org' as dimension, child_id as member, sum(cur) as cur, sum(prev) as prev
  from at_node where child_id is not null group by node_id, child_id
  union all
  select node_id, 'channel', channel_id, sum(cur), sum(prev) from at_node group by node_id, channel_id
  union all
  select node_id, 'segment', segment, sum(cur), sum(prev) from at_node group by node_id, segment
  union all
  select node_id, 'product', product_id, sum(cur), sum(prev) from at_node group by node_id, product_id
),
final as (
  select node_id, dimension, member, cur, prev, cur - prev as delta from parts
)
select * from final order by node_id, dimension, delta, member
