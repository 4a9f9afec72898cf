-- description: Where the warehouse's data came from and its as-of date (the day pages treat as today).
-- scope: none
select source, size, seed, as_of, built_at from warehouse_info
