-- description: The customers of a list (from the app's actions) that the user may see, with their org node, manager and segment; ids outside the scope or unknown are simply absent.
-- rows: picked(customer_id bigint)
with final as (
  select k.customer_id, k.org_id, k.manager_id, k.segment, k.tier, k.aum
  from customers k
  join scope_orgs s on s.org_id = k.org_id
  where k.customer_id in (select customer_id from picked)
)
select * from final order by customer_id
