-- description: What followed done actions, customer by customer: furthest SICAS stage in the lookback before the anchor day, next stage reached, Actions and their volume within N days after it; beside the same measures averaged over comparable customers with no action (same org node, segment and starting stage on the same anchor day).
-- param: days int = 30
-- param: lookback int = 90
-- rows: acted(action_id bigint, customer_id bigint, anchor_date date)
-- acted holds every customer of every action (the comparison excludes them all); rows with an anchor_date are measured.
with info as (
  select max(as_of) as as_of from warehouse_info
),
acted_any as (
  select distinct customer_id from acted
),
treated as (
  select distinct a.action_id, a.customer_id, a.anchor_date, k.org_id, k.segment
  from acted a
  join customers k on k.customer_id = a.customer_id
  join scope_orgs s on s.org_id = k.org_id
  where a.anchor_date is not null
),
strata as (
  select distinct anchor_date, org_id, segment from treated
),
pool as (
  select t.anchor_date, k.customer_id, k.org_id, k.segment, 0 as is_treated
  from strata t
  join customers k on k.org_id = t.org_id and k.segment = t.segment
  left join acted_any x on x.customer_id = k.customer_id
  where x.customer_id is null
  union all
  select distinct anchor_date, customer_id, org_id, segment, 1 as is_treated from treated
),
staged as (
  select e.customer_id, e.event_date, e.stage, e.amount,
         case e.stage when 'S' then 1 when 'I' then 2 when 'C' then 3 when 'A' then 4 when 'H' then 5 end as stage_no
  from events e
  where e.customer_id in (select customer_id from pool)
),
before as (
  select p.anchor_date, p.customer_id, max(e.stage_no) as start_stage
  from pool p
  join staged e on e.customer_id = p.customer_id
  where e.event_date > p.anchor_date - :lookback and e.event_date <= p.anchor_date
  group by p.anchor_date, p.customer_id
),
after as (
  select p.anchor_date, p.customer_id, max(e.stage_no) as top_stage,
         sum(case when e.stage = 'A' then 1 else 0 end) as actions,
         sum(case when e.stage = 'A' then e.amount else 0 end) as amount
  from pool p
  join staged e on e.customer_id = p.customer_id
  where e.event_date > p.anchor_date and e.event_date <= p.anchor_date + :days
  group by p.anchor_date, p.customer_id
),
measured as (
  select p.anchor_date, p.customer_id, p.org_id, p.segment, p.is_treated,
         coalesce(b.start_stage, 0) as start_stage,
         case when coalesce(a.top_stage, 0) > coalesce(b.start_stage, 0) then 1 else 0 end as reached_next,
         coalesce(a.actions, 0) as actions,
         coalesce(a.amount, 0) as amount
  from pool p
  left join before b on b.anchor_date = p.anchor_date and b.customer_id = p.customer_id
  left join after a on a.anchor_date = p.anchor_date and a.customer_id = p.customer_id
),
controls as (
  select anchor_date, org_id, segment, start_stage, count(*) as controls,
         avg(reached_next * 1.0) as control_reached, avg(actions * 1.0) as control_actions, avg(amount) as control_amount
  from measured
  where is_treated = 0
  group by anchor_date, org_id, segment, start_stage
),
final as (
  select t.action_id, t.customer_id, t.org_id, t.segment, t.anchor_date, m.start_stage,
         m.reached_next, m.actions, m.amount,
         coalesce(c.controls, 0) as controls, c.control_reached, c.control_actions, c.control_amount,
         case when t.anchor_date + :days <= i.as_of then 1 else 0 end as complete
  from treated t
  join measured m on m.anchor_date = t.anchor_date and m.customer_id = t.customer_id and m.is_treated = 1
  left join controls c on c.anchor_date = t.anchor_date and c.org_id = t.org_id and c.segment = t.segment
                      and c.start_stage = m.start_stage
  cross join info i
)
select * from final order by action_id, customer_id
