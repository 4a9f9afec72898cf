-- description: Frontline next best channel: per segment, SICAS stage and channel over the last year of an org subtree, the customers with an event at that stage on that channel and how many reached the next stage afterwards.
-- include: sicas_stages
-- param: org_id org
-- param: as_of date
with ev as (
  select e.customer_id, e.channel_id, e.event_ts, k.segment, st.stage_no
  from events e
  join node_orgs n on n.org_id = e.org_id
  join sicas_stages st on st.stage = e.stage
  join customers k on k.customer_id = e.customer_id
  where e.event_date between :as_of - 365 and :as_of
),
touched as (
  select segment, stage_no, channel_id, customer_id, min(event_ts) as first_ts
  from ev where stage_no < 5
  group by segment, stage_no, channel_id, customer_id
),
went_on as (
  select distinct t.segment, t.stage_no, t.channel_id, t.customer_id
  from touched t
  join ev e on e.customer_id = t.customer_id and e.stage_no = t.stage_no + 1 and e.event_ts > t.first_ts
),
final as (
  select t.segment, t.stage_no, t.channel_id, count(*) as customers, count(w.customer_id) as converted
  from touched t
  left join went_on w on w.segment = t.segment and w.stage_no = t.stage_no and w.channel_id = t.channel_id
                     and w.customer_id = t.customer_id
  group by t.segment, t.stage_no, t.channel_id
)
select segment, stage_no, channel_id, customers, converted, converted * 1.0 / customers as conversion
from final order by segment, stage_no, conversion desc
