-- description: Guidance: high-value customers (tier at or above min_tier) of each child of an org node, those with no touchpoint for `days` days, and those of them who became dormant in the last `recent` days.
-- param: org_id org
-- param: as_of date
-- param: min_tier int = 4
-- param: days int = 90
-- param: recent int = 30
with custs as (
  select ch.org_id, k.customer_id, k.aum,
         case when k.last_active_date is null or k.last_active_date < :as_of - :days then 1 else 0 end as dormant,
         case when k.last_active_date >= :as_of - :days - :recent and k.last_active_date < :as_of - :days then 1 else 0 end as newly
  from customers k
  join org_closure c on c.descendant_id = k.org_id
  join child_orgs ch on ch.org_id = c.ancestor_id
  join scope_orgs s on s.org_id = k.org_id
  where k.tier >= :min_tier
),
final as (
  select org_id, count(*) as high_value, sum(dormant) as dormant, sum(newly) as newly,
         sum(case when dormant = 1 then aum else 0 end) as dormant_aum
  from custs group by org_id
)
select * from final order by dormant_aum desc, org_id
