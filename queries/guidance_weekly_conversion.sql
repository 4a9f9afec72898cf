-- description: Guidance: weekly SICAS Connect and Action events of an org node and every region/sub-branch below it, for the unusual-change rule.
-- param: org_id org
-- param: end date
-- param: weeks int = 26
with nodes as (
  select o.org_id, o.parent_id, o.level
  from org_closure c
  join orgs o on o.org_id = c.descendant_id
  join scope_orgs s on s.org_id = o.org_id
  where c.ancestor_id = :org_id and (o.level between 1 and 2 or c.depth = 0)
),
weekly as (
  select n.org_id, cast(date_trunc('week', e.event_date) as date) as week_start,
         count(case when e.stage = 'C' then 1 end) as connects,
         count(case when e.stage = 'A' then 1 end) as actions
  from events e
  join org_closure c on c.descendant_id = e.org_id
  join nodes n on n.org_id = c.ancestor_id
  where e.event_date > :end - 7 * :weeks and e.event_date <= :end
  group by n.org_id, cast(date_trunc('week', e.event_date) as date)
),
final as (
  select w.org_id, n.parent_id, n.level, w.week_start, w.connects, w.actions
  from weekly w join nodes n on n.org_id = w.org_id
)
select * from final order by org_id, week_start
