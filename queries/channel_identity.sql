-- description: Channel integration of an org node in a window: share of touchpoint events tied to a known customer, and share of active customers recognised across channels under one id (null where the source does not record it). Answered from channel_identity_stored when the build stores the window and node.
-- stored: channel_identity_stored
-- param: org_id org
-- param: start date
-- param: end date
with ev as (
  select e.customer_id
  from events e
  join node_orgs n on n.org_id = e.org_id
  where e.event_date between :start and :end
),
active as (
  select k.customer_id, k.unified_id
  from customers k
  join (select distinct customer_id from ev where customer_id is not null) a on a.customer_id = k.customer_id
),
final as (
  select
    (select count(*) from ev) as events,
    (select count(customer_id) from ev) as known_events,
    (select count(customer_id) * 1.0 / nullif(count(*), 0) from ev) as known_share,
    (select count(*) from active) as customers,
    -- null, not 0, when the source does not say whether its customers are unified (unified_id unknown)
    (select case when count(unified_id) > 0 then count(case when unified_id then 1 end) end from active)
      as unified_customers,
    (select avg(case when unified_id then 1.0 when not unified_id then 0.0 end) from active) as unified_share
)
select * from final
