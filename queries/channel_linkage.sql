-- description: Linkage of an org node: lifecycle state changes in a window and, per new state and channel, how many of the changed customers that channel reached within N days (channel '*' = any channel); cockpit/domain/channels.py picks the suitable channel per state.
-- param: org_id org
-- param: start date
-- param: end date
-- param: days int = 7
-- prepared:
with changes as (
  select l.customer_id, l.change_date, l.to_state, l.org_id
  from lifecycle_changes l
  join node_orgs n on n.org_id = l.org_id
  where l.change_date between :start and :end
),
totals as (select to_state, count(*) as changes from changes group by to_state),
touches as (
  select distinct c.customer_id, c.change_date, c.to_state, e.channel_id
  from changes c
  join events e on e.customer_id = c.customer_id and e.org_id = c.org_id
  where e.event_date between c.change_date and c.change_date + :days
),
by_channel as (
  select to_state, channel_id, count(*) as reached from touches group by to_state, channel_id
  union all
  select to_state, '*', count(distinct cast(customer_id as varchar) || '|' || cast(change_date as varchar))
  from touches group by to_state
),
final as (
  select t.to_state, b.channel_id, t.changes, coalesce(b.reached, 0) as reached,
         coalesce(b.reached, 0) * 1.0 / t.changes as reached_share
  from totals t
  left join by_channel b on b.to_state = t.to_state
)
select * from final order by to_state, channel_id
