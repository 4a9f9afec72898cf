-- description: Guidance: a flow metric (SICAS Actions or sales, as in cockpit/domain/metrics.yaml) of an org node in a window and a comparable earlier one, split by child node, channel, segment and product (the rule is guidance_breakdown_tree's, for the node alone).
-- include: guidance_breakdown_tree
-- param: org_id org
-- param: start date
-- param: end date
-- param: prev_start date
-- param: prev_end date
-- param: metric one of(actions|sales) = actions
with final as (
  select t.dimension, t.member, t.cur, t.prev, t.delta
  from guidance_breakdown_tree t
  join scope_orgs s on s.org_id = t.node_id  -- already the node's subtree; the layer checks every query reads scope_orgs
  where t.node_id = :org_id
)
select * from final order by dimension, delta, member
