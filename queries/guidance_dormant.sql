-- description: Guidance: high-value customers (tier at or above min_tier) of each child of an org node and, with `max_level`, of every node of its subtree down to that level, each row naming its node's parent (`parent_id`); those with no touchpoint for `days` days, and those of them who became dormant in the last `recent` days. A node's row counts its whole subtree, so it is the same whichever parent asks: the stored guidance reads every node's at once.
-- include: guidance_nodes
-- param: org_id org
-- param: as_of date
-- param: min_tier int = 4
-- param: days int = 90
-- param: recent int = 30
-- param: max_level int = -1
with custs as (
  select n.org_id, k.customer_id, k.aum,
         case when k.last_active_date is null or k.last_active_date < :as_of - :days then 1 else 0 end as dormant,
         case when k.last_active_date >= :as_of - :days - :recent and k.last_active_date < :as_of - :days then 1 else 0 end as newly
  from customers k
  join org_closure c on c.descendant_id = k.org_id
  join guidance_nodes n on n.org_id = c.ancestor_id
  join scope_orgs s on s.org_id = k.org_id
  where k.tier >= :min_tier
),
final as (
  select c.org_id, o.parent_id, count(*) as high_value, sum(c.dormant) as dormant, sum(c.newly) as newly,
         sum(case when c.dormant = 1 then c.aum else 0 end) as dormant_aum
  from custs c join orgs o on o.org_id = c.org_id
  group by c.org_id, o.parent_id
)
select * from final order by dormant_aum desc, org_id
