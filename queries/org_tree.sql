-- description: The org nodes the user may see, with their parent, level and names (for the org picker and breadcrumbs).
with final as (
  select o.org_id, o.parent_id, o.level, o.name_zh, o.name_en, o.path
  from orgs o
  join scope_orgs s on s.org_id = o.org_id
)
select * from final order by path
