-- description: Where the warehouse's data came from, its as-of date (the day pages treat as today) and the first day with events (the period picker reaches back to it).
-- scope: none
select source, size, seed, as_of, built_at,
       coalesce((select min(period_start) from mart_periods), (select min(event_date) from events)) as first_date
from warehouse_info
