-- description: Guidance: lifecycle changes in a window for each child of an org node and, with `max_level`, for every node of its subtree down to that level, each row naming its node's parent (`parent_id`); and those not followed by any touchpoint within `days` days. A node's row counts its whole subtree, so it is the same whichever parent asks: the stored guidance reads every node's at once.
-- include: guidance_nodes
-- param: org_id org
-- param: start date
-- param: end date
-- param: days int = 7
-- param: max_level int = -1
with changes as (
  select n.org_id, l.customer_id, l.change_date
  from lifecycle_changes l
  join org_closure c on c.descendant_id = l.org_id
  join guidance_nodes n on n.org_id = c.ancestor_id
  join scope_orgs s on s.org_id = l.org_id
  where l.change_date between :start and :end - :days
),
reached as (  -- a change is reached or not whichever node counts it: looked up once
  select distinct g.customer_id, g.change_date
  from (select distinct customer_id, change_date from changes) g
  join events e on e.customer_id = g.customer_id
  where e.event_date between g.change_date and g.change_date + :days
),
final as (
  select g.org_id, o.parent_id, count(*) as changes,
         count(*) - count(r.customer_id) as unreached
  from changes g
  join orgs o on o.org_id = g.org_id
  left join reached r on r.customer_id = g.customer_id and r.change_date = g.change_date
  group by g.org_id, o.parent_id
)
select * from final order by unreached desc, org_id
