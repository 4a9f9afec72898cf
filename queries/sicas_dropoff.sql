-- description: Drop-off list of the SICAS funnel (rule in cockpit/domain/sicas.py): customers of an org node who counted at a stage in the window and not at the next, newest first, for frontline follow-up; a page of max_rows from offset, each row with `listed`, the length of the whole list (the page shows one page and says how many there are, the download holds the whole list).
-- include: sicas_reach
-- param: org_id org
-- param: start date
-- param: end date
-- param: stage one of(S|I|C|A) = C
-- param: channel_group one of(all|online|remote|offline) = all
-- param: max_rows int = 5000
-- param: offset int = 0
-- prepared: max_rows=50
with reach as (
  select customer_id, channel_id,
         case
           when :stage = 'S' and t2 is null then t1
           when :stage = 'I' and t2 is not null and t3 is null then t2
           when :stage = 'C' and t3 is not null and t4 is null then t3
           when :stage = 'A' and t4 is not null and t5 is null then t4
         end as reached_at
  from sicas_reach
),
final as (
  select r.customer_id, k.org_id, k.manager_id, k.segment, k.tier, k.lifecycle_state,
         :stage as stopped_at, r.reached_at, r.channel_id as entry_channel_id
  from reach r
  join customers k on k.customer_id = r.customer_id
  join node_orgs n on n.org_id = k.org_id
  where r.reached_at is not null
)
select *, count(*) over () as listed from final order by reached_at desc, customer_id
limit :max_rows offset :offset
