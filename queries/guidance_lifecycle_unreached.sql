-- description: Guidance: lifecycle changes in a window for each child of an org node, and those not followed by any touchpoint within `days` days.
-- param: org_id org
-- param: start date
-- param: end date
-- param: days int = 7
with changes as (
  select ch.org_id, l.customer_id, l.change_date, l.to_state
  from lifecycle_changes l
  join org_closure c on c.descendant_id = l.org_id
  join child_orgs ch on ch.org_id = c.ancestor_id
  join scope_orgs s on s.org_id = l.org_id
  where l.change_date between :start and :end - :days
),
reached as (
  select distinct g.customer_id, g.change_date
  from changes g
  join events e on e.customer_id = g.customer_id
  where e.event_date between g.change_date and g.change_date + :days
),
final as (
  select g.org_id, count(*) as changes,
         count(*) - count(r.customer_id) as unreached
  from changes g
  left join reached r on r.customer_id = g.customer_id and r.change_date = g.change_date
  group by g.org_id
)
select * from final order by unreached desc, org_id
