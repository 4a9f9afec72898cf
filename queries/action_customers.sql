-- description: Frontline action list: customers of an org subtree to contact now (dormant high value, lifecycle change not reached, referral past SLA; all, or the first max_rows of one reason), with segment, tier, AUM, manager, the furthest SICAS stage of their last year and their last contact (date, channel, campaign, product).
-- param: org_id org
-- param: as_of date
-- param: min_tier int = 4
-- param: days int = 120
-- param: recent_days int = 30
-- param: reason one of(any|dormant_high_value|lifecycle_unreached|referral_overdue) = any
-- param: max_rows int = 1000000
-- prepared: reason=dormant_high_value|lifecycle_unreached|referral_overdue max_rows=50
with custs as (
  select k.customer_id, k.org_id, k.manager_id, k.segment, k.tier, k.aum, k.lifecycle_state, k.last_active_date
  from customers k
  join node_orgs n on n.org_id = k.org_id
),
dormant as (
  select customer_id, 'dormant_high_value' as reason, 1 as priority
  from custs
  where tier >= :min_tier and (last_active_date is null or last_active_date < :as_of - :days)
),
changed as (
  select l.customer_id, max(l.change_date) as change_date
  from lifecycle_changes l
  join custs k on k.customer_id = l.customer_id
  where l.change_date between :as_of - :recent_days and :as_of
  group by l.customer_id
),
unreached as (
  select g.customer_id, 'lifecycle_unreached' as reason, 2 as priority
  from changed g
  join custs k on k.customer_id = g.customer_id
  where k.last_active_date is null or k.last_active_date < g.change_date
),
overdue as (
  select distinct r.customer_id, 'referral_overdue' as reason, 3 as priority
  from referrals r
  join custs k on k.customer_id = r.customer_id
  where r.followed_up_at is null and r.outcome = 'pending'
    and r.created_at >= :as_of - :recent_days
    and r.created_at + r.sla_hours * interval '1 hour' < :as_of + 1
),
reasons as (
  select * from dormant union all select * from unreached union all select * from overdue
),
-- the rows listed, chosen before their events are read (a page asks for its first few of a bank's thousands)
picked as (
  select r.customer_id, r.reason, r.priority
  from reasons r
  join custs k on k.customer_id = r.customer_id
  where :reason = 'any' or r.reason = :reason
  order by r.priority, k.aum desc, r.customer_id
  limit :max_rows
),
-- their events up to the day, read in one pass for the furthest stage and the last contact
ev as (
  select e.customer_id, e.event_date, e.event_ts, e.event_id, e.stage, e.channel_id, e.campaign_id, e.product_id
  from events e
  join (select distinct customer_id from picked) r on r.customer_id = e.customer_id
  where e.event_date <= :as_of
),
stages as (
  select customer_id,
         max(case stage when 'S' then 1 when 'I' then 2 when 'C' then 3 when 'A' then 4 when 'H' then 5 end) as stage_no
  from ev
  where event_date >= :as_of - 365
  group by customer_id
),
touches as (
  select customer_id, event_date, channel_id, campaign_id, product_id,
         row_number() over (partition by customer_id order by event_ts desc, event_id desc) as rn
  from ev
),
final as (
  select k.customer_id, k.org_id, k.manager_id, k.segment, k.tier, k.aum, k.lifecycle_state, k.last_active_date,
         r.reason, r.priority, coalesce(s.stage_no, 1) as stage_no,
         t.event_date as last_contact_date, t.channel_id as last_channel_id, t.campaign_id as last_campaign_id,
         t.product_id as last_product_id
  from picked r
  join custs k on k.customer_id = r.customer_id
  left join stages s on s.customer_id = r.customer_id
  left join touches t on t.customer_id = r.customer_id and t.rn = 1
)
select * from final order by priority, aum desc, customer_id
limit :max_rows
