-- description: Actions and Shares of an org node in a window credited to staff through the invitation code their events carry, with each staff member's node and team (shown only when within the selected node).
-- param: org_id org
-- param: start date
-- param: end date
with nodes as (
  select c.descendant_id as org_id
  from org_closure c
  join scope_orgs s on s.org_id = c.descendant_id
  where c.ancestor_id = :org_id
),
coded as (
  select e.staff_id, e.customer_id, e.stage, e.amount
  from events e
  join nodes n on n.org_id = e.org_id
  where e.event_date between :start and :end and e.staff_id is not null and e.stage in ('A', 'H')
),
per_staff as (
  select staff_id,
         sum(case when stage = 'A' then 1 else 0 end) as actions,
         count(distinct case when stage = 'A' then customer_id end) as customers,
         sum(case when stage = 'A' then amount else 0 end) as amount,
         sum(case when stage = 'H' then 1 else 0 end) as shares
  from coded group by staff_id
),
final as (
  select p.staff_id, st.name, st.invitation_code, sn.org_id, tn.org_id as team_org_id,
         p.actions, p.customers, p.amount, p.shares
  from per_staff p
  join staff st on st.staff_id = p.staff_id
  join orgs o on o.org_id = st.org_id
  left join nodes sn on sn.org_id = st.org_id
  left join nodes tn on tn.org_id = o.parent_id
)
select * from final order by actions desc, staff_id
