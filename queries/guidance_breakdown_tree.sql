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
at_node as (
  select u.node_id, u.child_id, ev.channel_id, ev.segment, ev.product_id, ev.is_cur, ev.v
  from ev join under u on u.org_id = ev.org_id
),
parts as (
  select node_id, 'org' as dimension, child_id as member, sum(v * is_cur) as cur, sum(v * (1 - is_cur)) as prev
  from at_node where child_id is not null group by node_id, child_id
  union all
  select node_id, 'channel', channel_id, sum(v * is_cur), sum(v * (1 - is_cur)) from at_node group by node_id, channel_id
  union all
  select node_id, 'segment', segment, sum(v * is_cur), sum(v * (1 - is_cur)) from at_node group by node_id, segment
  union all
  select node_id, 'product', product_id, sum(v * is_cur), sum(v * (1 - is_cur)) from at_node group by node_id, product_id
),
final as (
  select node_id, dimension, member, cur, prev, cur - prev as delta from parts
)
select * from final order by node_id, dimension, delta, member
