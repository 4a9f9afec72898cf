-- description: Conversion of touched customers to a SICAS Action, by channel, month, earlier-campaign outcome (return flow) or one of the source's customer attributes (job, marital, education, age band, default, housing, loan, balance band): distinct customers with an event in the group and window, how many of them had an Action (stage A) in the same group, and the share; optionally one campaign. Earlier campaigns are read from prior_outcomes, never counted as the window's Actions.
-- param: org_id org
-- param: start date
-- param: end date
-- param: breakdown one of(channel|month|prior_outcome|job|marital|education|age_band|default|housing|loan|balance_band)
-- param: campaign_id str = all
with prior as (
  -- the latest earlier-campaign record of each customer (seed/ingest/IMPORT.md)
  select customer_id, outcome
  from (
    select p.customer_id, p.outcome,
           row_number() over (partition by p.customer_id order by p.contact_date desc, p.outcome) as rn
    from prior_outcomes p
    join node_orgs n on n.org_id = p.org_id
  ) ranked
  where rn = 1
),
attribute as (
  select a.customer_id, a.value
  from customer_attributes a
  join node_orgs n on n.org_id = a.org_id
  where a.attribute = :breakdown
),
touches as (
  select
    case
      when :breakdown = 'channel' then e.channel_id
      when :breakdown = 'month' then substr(cast(e.event_date as varchar), 1, 7)
      when :breakdown = 'prior_outcome' then coalesce(p.outcome, 'none')
      else coalesce(a.value, 'unknown')
    end as dimension,
    e.customer_id,
    e.stage
  from events e
  join node_orgs n on n.org_id = e.org_id
  left join prior p on p.customer_id = e.customer_id
  left join attribute a on a.customer_id = e.customer_id
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
