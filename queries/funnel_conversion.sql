-- description: Conversion of touched customers to a SICAS Action, by channel, month or earlier-campaign outcome (return flow): distinct customers with any event in the group and window, how many of them had an Action (stage A) in the same group, and the share; optionally one campaign.
-- param: org_id org
-- param: start date
-- param: end date
-- param: breakdown one of(channel|month|prior_outcome)
-- param: campaign_id str = all
with -- an event typed prior_<outcome> records the outcome of a customer's earlier campaign (seed/ingest/IMPORT.md)
prior_ranked as (
  select e.customer_id, substr(e.event_type, 7) as outcome,
         row_number() over (partition by e.customer_id order by e.event_date desc, e.event_id desc) as rn
  from events e
  join node_orgs n on n.org_id = e.org_id
  where substr(e.event_type, 1, 6) = 'prior_'
),
prior as (
  select customer_id, outcome from prior_ranked where rn = 1
),
touches as (
  select
    case
      when :breakdown = 'channel' then e.channel_id
      when :breakdown = 'month' then substr(cast(e.event_date as varchar), 1, 7)
      else coalesce(p.outcome, 'none')
    end as dimension,
    e.customer_id,
    e.stage
  from events e
  join node_orgs n on n.org_id = e.org_id
  left join prior p on p.customer_id = e.customer_id
  where e.event_date between :start and :end
    and e.customer_id is not null
    and (:campaign_id = 'all' or e.campaign_id = :campaign_id)
),
final as (
  select
    dimension,
    count(distinct customer_id) as customers,
    count(distinct case when stage = 'A' then customer_id end) as converted
  from touches
  group by dimension
)
select dimension, customers, converted, cast(converted as double) / nullif(customers, 0) as conversion
from final
order by dimension
