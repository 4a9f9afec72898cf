-- description: Guidance: the nodes a children's breakdown reports on: the children of an org node (a manager, the tree's leaf, stands for itself) and, with `max_level`, every node of its subtree down to that level, whose rows the stored guidance hands to each of their parents.
-- param: org_id org
-- param: max_level int = -1
with final as (
  select org_id from child_orgs
  union
  select o.org_id
  from org_closure c
  join orgs o on o.org_id = c.descendant_id
  join scope_orgs s on s.org_id = o.org_id
  where c.ancestor_id = :org_id and o.org_id <> :org_id and o.level <= :max_level
)
select org_id from final order by org_id
