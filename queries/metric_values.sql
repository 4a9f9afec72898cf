-- description: Every metric of the metric dictionary (cockpit/domain/metrics.yaml) for org nodes over a window: at the window's last day (grain window; the parent node and its children, or every node) or cumulative to each day (grain day; the parent node only, or every node); with the opening balance (the day before the window) of balance metrics. `max_level` leaves out the nodes below that level (the stored guidance reads the daily series of the nodes from the sub-branches' teams up at once).
-- param: start date
-- param: end date
-- param: parent str = all
-- param: grain one of(window|day) = window
-- param: max_level int = 4
with nodes as (
  select o.org_id, o.parent_id, o.level, o.name_zh, o.name_en
  from orgs o
  join scope_orgs s on s.org_id = o.org_id
  where (:parent = 'all' or o.org_id = :parent or (o.parent_id = :parent and :grain = 'window'))
    and o.level <= :max_level
),
-- how each metric aggregates over time: period_end (the figure on the day), sum, distinct (first day of each
-- customer in the window, summed), ratio (numerator and denominator each summed over the window)
metric_list as (
  select 'deposits' as metric, 'period_end' as aggregation
  union all select 'aum', 'period_end'
  union all select 'deposit_growth', 'period_end'
  union all select 'aum_growth', 'period_end'
  union all select 'sales', 'sum'
  union all select 'fee_income', 'sum'
  union all select 'actions', 'sum'
  union all select 'new_customers', 'sum'
  union all select 'upgrades', 'sum'
  union all select 'active_customers', 'distinct'
  union all select 'active_ratio', 'ratio'
  union all select 'unified_id_share', 'ratio'
  union all select 'referral_conversion', 'ratio'
  union all select 'sla_breach_rate', 'ratio'
  union all select 'satisfaction', 'ratio'
  union all select 'response_seconds', 'ratio'
  union all select 'complaint_rate', 'ratio'
),
-- metrics whose source the warehouse holds nothing of (an imported source without amounts, opening dates or
-- lifecycle changes): their value is null ("no data"), never 0
absent as (
  select 'sales' as metric from (select 1 as one) d where not exists (select 1 from events where amount is not null)
  union all select 'fee_income' from (select 1 as one) d
    where not exists (select 1 from events where fee_income is not null)
  union all select 'new_customers' from (select 1 as one) d
    where not exists (select 1 from customers where opened_date is not null)
  union all select 'upgrades' from (select 1 as one) d where not exists (select 1 from lifecycle_changes)
),
-- grain window needs only the last day: every fact is put on it (a balance only from that day itself)
days as (
  select cal_date as day from calendar where cal_date between :start and :end and (:grain = 'day' or cal_date = :end)
),
links as (
  select c.ancestor_id as org_id, c.descendant_id
  from org_closure c
  join nodes n on n.org_id = c.ancestor_id
),
bal as (
  select l.org_id, b.balance_date as day,
    sum(case when b.category = 'deposit' then b.balance else 0 end) as deposits,
    sum(case when b.category <> 'loan' then b.balance else 0 end) as aum
  from balances_daily b
  join links l on l.descendant_id = b.org_id
  where b.balance_date between cast(cast(:start as date) - interval 1 day as date) and :end
     or b.balance_date between cast(cast(:start as date) - interval 1 year as date) and cast(cast(:end as date) - interval 1 year as date)
  group by l.org_id, b.balance_date
),
-- sums of events: sub-branches and above read mart_org_day (cockpit/warehouse/marts.py), deeper nodes their events
ev as (
  select l.org_id, m.event_date as day,
    sum(m.amount) as sales,
    sum(m.fee_income) as fee_income,
    sum(case when m.stage = 'A' then m.events else 0 end) as actions
  from mart_org_day m
  join links l on l.descendant_id = m.org_id
  join nodes n on n.org_id = l.org_id
  where m.event_date between :start and :end and n.level <= 2
  group by l.org_id, m.event_date
  union all
  select l.org_id, e.event_date as day,
    sum(e.amount) as sales,
    sum(e.fee_income) as fee_income,
    sum(case when e.stage = 'A' then 1 else 0 end) as actions
  from events e
  join links l on l.descendant_id = e.org_id
  join nodes n on n.org_id = l.org_id
  where e.event_date between :start and :end and n.level > 2
  group by l.org_id, e.event_date
),
-- distinct customers: a whole month, quarter or year to date in one figure is a row of mart_org_period;
-- other windows, and the daily grain, count each customer on their first day in the window from the events
whole as (
  select max(p.period_type) as period_type
  from mart_periods p
  where p.period_start = :start and :end between p.through_date and p.period_end and :grain = 'window'
),
first_active as (
  select m.org_id, cast(:end as date) as day, m.customers
  from mart_org_period m
  join nodes n on n.org_id = m.org_id
  join whole w on w.period_type = m.period_type
  where m.period_start = :start and m.stage = '*'
  union all
  select org_id, day, count(*) as customers
  from (
    select l.org_id, e.customer_id, min(e.event_date) as day
    from events e
    join links l on l.descendant_id = e.org_id
    where e.event_date between :start and :end and e.customer_id is not null
      and (select period_type from whole) is null
    group by l.org_id, e.customer_id
  ) f
  group by org_id, day
),
-- customers held: those opened before the window count on its first day, later ones on their opening day
cust as (
  select l.org_id, case when k.opened_date < :start then cast(:start as date) else k.opened_date end as day,
    count(*) as customers,
    sum(case when k.unified_id then 1 else 0 end) as unified,
    sum(case when k.opened_date >= :start then 1 else 0 end) as opened
  from customers k
  join links l on l.descendant_id = k.org_id
  where k.opened_date <= :end
  group by 1, 2
),
upgrades as (
  select l.org_id, g.change_date as day, count(*) as upgrades
  from lifecycle_changes g
  join links l on l.descendant_id = g.org_id
  where g.change_date between :start and :end and g.to_state in ('growing', 'mature', 'won_back')
  group by l.org_id, g.change_date
),
refs as (
  select l.org_id, cast(r.created_at as date) as day,
    count(*) as referrals,
    sum(case when r.outcome = 'converted' then 1 else 0 end) as converted,
    sum(case when r.followed_up_at is null or r.followed_up_at > r.created_at + r.sla_hours * interval 1 hour then 1 else 0 end) as late
  from referrals r
  join links l on l.descendant_id = r.org_id
  where cast(r.created_at as date) between :start and :end
  group by 1, 2
),
service as (
  select l.org_id, v.record_date as day,
    count(*) as records,
    sum(v.satisfaction) as satisfaction,
    count(v.satisfaction) as rated,
    sum(v.response_seconds) as response_seconds,
    sum(case when v.complaint then 1 else 0 end) as complaints
  from service_records v
  join links l on l.descendant_id = v.org_id
  where v.record_date between :start and :end
  group by l.org_id, v.record_date
),
facts as (
  select org_id, day, 'deposits' as metric, deposits as num, cast(null as double) as den from bal
  union all select org_id, day, 'aum', aum, null from bal
  union all select b.org_id, b.day, 'deposit_growth', b.deposits - y.deposits, y.deposits
    from bal b join bal y on y.org_id = b.org_id and y.day = cast(b.day - interval 1 year as date)
  union all select b.org_id, b.day, 'aum_growth', b.aum - y.aum, y.aum
    from bal b join bal y on y.org_id = b.org_id and y.day = cast(b.day - interval 1 year as date)
  union all select org_id, day, 'sales', sales, null from ev
  union all select org_id, day, 'fee_income', fee_income, null from ev
  union all select org_id, day, 'actions', actions, null from ev
  union all select org_id, day, 'new_customers', opened, null from cust
  union all select org_id, day, 'upgrades', upgrades, null from upgrades
  union all select org_id, day, 'active_customers', customers, null from first_active
  union all select org_id, day, 'active_ratio', customers, null from first_active
  union all select org_id, day, 'active_ratio', 0, customers from cust
  union all select org_id, day, 'unified_id_share', unified, customers from cust
  union all select org_id, day, 'referral_conversion', converted, referrals from refs
  union all select org_id, day, 'sla_breach_rate', late, referrals from refs
  union all select org_id, day, 'satisfaction', satisfaction, rated from service
  union all select org_id, day, 'response_seconds', response_seconds, records from service
  union all select org_id, day, 'complaint_rate', complaints, records from service
),
bucketed as (
  select f.org_id, f.metric, case when :grain = 'window' then cast(:end as date) else f.day end as day, f.num, f.den
  from facts f
  join metric_list m on m.metric = f.metric
  where f.day between :start and :end and (:grain = 'day' or m.aggregation <> 'period_end' or f.day = :end)
),
daily as (
  select n.org_id, m.metric, m.aggregation, d.day, sum(f.num) as num, sum(f.den) as den
  from nodes n
  cross join metric_list m
  cross join days d
  left join bucketed f on f.org_id = n.org_id and f.metric = m.metric and f.day = d.day
  group by n.org_id, m.metric, m.aggregation, d.day
),
running as (
  select org_id, metric, aggregation, day,
    case when aggregation = 'period_end' then num
         else sum(coalesce(num, 0)) over (partition by org_id, metric order by day rows between unbounded preceding and current row) end as num,
    case when aggregation = 'period_end' then den
         else sum(den) over (partition by org_id, metric order by day rows between unbounded preceding and current row) end as den
  from daily
),
-- a balance's opening value: the day before the window
opening as (
  select org_id, 'deposits' as metric, deposits as opening from bal where day = cast(cast(:start as date) - interval 1 day as date)
  union all
  select org_id, 'aum', aum from bal where day = cast(cast(:start as date) - interval 1 day as date)
),
final as (
  select n.org_id, n.parent_id, n.level, n.name_zh, n.name_en, r.metric, r.aggregation, r.day,
    case when r.metric in (select metric from absent) then null
         when r.aggregation = 'ratio' or r.den is not null then r.num / nullif(r.den, 0) else r.num end as value,
    case when r.aggregation = 'period_end' then o.opening else 0 end as opening
  from running r
  join nodes n on n.org_id = r.org_id
  left join opening o on o.org_id = r.org_id and o.metric = r.metric
  where (:grain = 'window' and r.day = (select max(day) from days))
     or (:grain = 'day' and (r.org_id = :parent or :parent = 'all'))
)
select org_id, parent_id, level, name_zh, name_en, metric, aggregation, day, value, opening
from final
order by level, org_id, metric, day
