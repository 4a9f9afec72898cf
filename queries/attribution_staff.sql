-- description: Actions and Shares of an org node in a window credited through the invitation code their events carry, per staff member (with their node and team when within the selected node) or per team, most actions first (the first max_rows, each row with `listed`, the length of the whole list); only staff inside the user's scope are named or credited (a code of someone outside it credits nobody here).
-- param: org_id org
-- param: start date
-- param: end date
-- param: by one of(staff|team) = staff
-- param: max_rows int = 1000000
-- prepared: max_rows=50
with coded as (
  select e.staff_id, e.customer_id, e.stage, e.amount
  from events e
  join node_orgs n on n.org_id = e.org_id
  where e.event_date between :start and :end and e.staff_id is not null and e.stage in ('A', 'H')
),
credited as (
  select c.*, st.name, st.invitation_code, sn.org_id as staff_org_id, tn.org_id as team_org_id
  from coded c
  join staff st on st.staff_id = c.staff_id
  join scope_orgs ss on ss.org_id = st.org_id
  join orgs o on o.org_id = st.org_id
  left join node_orgs sn on sn.org_id = st.org_id
  left join node_orgs tn on tn.org_id = o.parent_id
),
grouped as (
  select case when :by = 'team' then coalesce(team_org_id, '-') else staff_id end as credited_to,
         min(case when :by = 'team' then null else name end) as name,
         min(case when :by = 'team' then null else invitation_code end) as invitation_code,
         min(case when :by = 'team' then null else staff_org_id end) as org_id,
         min(team_org_id) as team_org_id,
         count(distinct staff_id) as staff,
         sum(case when stage = 'A' then 1 else 0 end) as actions,
         count(distinct case when stage = 'A' then customer_id end) as customers,
         sum(case when stage = 'A' then amount else 0 end) as amount,
         sum(case when stage = 'H' then 1 else 0 end) as shares
  from credited
  group by case when :by = 'team' then coalesce(team_org_id, '-') else staff_id end
)
select *, count(*) over () as listed from grouped order by actions desc, credited_to
limit :max_rows
