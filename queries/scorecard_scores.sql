-- description: Branch scorecard: every node's indicators (and the action follow-through indicator, bound from the app's actions) scored by the rules of cockpit/domain/scorecard.yaml (capped achievement of what is due by now, percentile or min-max in its tier), total out of 100, rank among siblings and in the tier, quartile; returned for a node, its siblings (peers: name, score and rank only) and its children.
-- scope: peers
-- include: metric_values
-- param: org_id org
-- param: start date
-- param: end date
-- param: period_type one of(month|quarter|year)
-- param: period_start date
-- param: progress float = 1
-- param: cap float = 1.2
-- param: lower str = none
-- param: w_deposits float = 0
-- param: r_deposits one of(off|capped|percentile|minmax) = off
-- param: w_aum float = 0
-- param: r_aum one of(off|capped|percentile|minmax) = off
-- param: w_deposit_growth float = 0
-- param: r_deposit_growth one of(off|capped|percentile|minmax) = off
-- param: w_aum_growth float = 0
-- param: r_aum_growth one of(off|capped|percentile|minmax) = off
-- param: w_sales float = 0
-- param: r_sales one of(off|capped|percentile|minmax) = off
-- param: w_fee_income float = 0
-- param: r_fee_income one of(off|capped|percentile|minmax) = off
-- param: w_actions float = 0
-- param: r_actions one of(off|capped|percentile|minmax) = off
-- param: w_new_customers float = 0
-- param: r_new_customers one of(off|capped|percentile|minmax) = off
-- param: w_upgrades float = 0
-- param: r_upgrades one of(off|capped|percentile|minmax) = off
-- param: w_active_customers float = 0
-- param: r_active_customers one of(off|capped|percentile|minmax) = off
-- param: w_active_ratio float = 0
-- param: r_active_ratio one of(off|capped|percentile|minmax) = off
-- param: w_unified_id_share float = 0
-- param: r_unified_id_share one of(off|capped|percentile|minmax) = off
-- param: w_referral_conversion float = 0
-- param: r_referral_conversion one of(off|capped|percentile|minmax) = off
-- param: w_sla_breach_rate float = 0
-- param: r_sla_breach_rate one of(off|capped|percentile|minmax) = off
-- param: w_satisfaction float = 0
-- param: r_satisfaction one of(off|capped|percentile|minmax) = off
-- param: w_response_seconds float = 0
-- param: r_response_seconds one of(off|capped|percentile|minmax) = off
-- param: w_complaint_rate float = 0
-- param: r_complaint_rate one of(off|capped|percentile|minmax) = off
-- param: w_action_loop float = 0
-- rows: action_loop(org_id varchar, due bigint, done_on_time bigint, completion double, effect double, score double)
-- weight and rule per indicator come from cockpit/domain/scorecard.yaml (bound by cockpit.domain.scorecard); 'off' leaves it out.
-- action_loop: the action follow-through indicator per node, scored 0..1 by cockpit/domain/outcome.py (bound by cockpit.domain.scorecard);
-- where a node's score is there, it takes w_action_loop of the 100 points and the other indicators share the rest;
-- a node without one (no action due) keeps the total of its other indicators.
with rules as (
  select 'deposits' as metric, :w_deposits as weight, :r_deposits as rule
  union all select 'aum', :w_aum, :r_aum
  union all select 'deposit_growth', :w_deposit_growth, :r_deposit_growth
  union all select 'aum_growth', :w_aum_growth, :r_aum_growth
  union all select 'sales', :w_sales, :r_sales
  union all select 'fee_income', :w_fee_income, :r_fee_income
  union all select 'actions', :w_actions, :r_actions
  union all select 'new_customers', :w_new_customers, :r_new_customers
  union all select 'upgrades', :w_upgrades, :r_upgrades
  union all select 'active_customers', :w_active_customers, :r_active_customers
  union all select 'active_ratio', :w_active_ratio, :r_active_ratio
  union all select 'unified_id_share', :w_unified_id_share, :r_unified_id_share
  union all select 'referral_conversion', :w_referral_conversion, :r_referral_conversion
  union all select 'sla_breach_rate', :w_sla_breach_rate, :r_sla_breach_rate
  union all select 'satisfaction', :w_satisfaction, :r_satisfaction
  union all select 'response_seconds', :w_response_seconds, :r_response_seconds
  union all select 'complaint_rate', :w_complaint_rate, :r_complaint_rate
),
nodes as (
  select o.org_id, o.parent_id, o.level, o.name_zh, o.name_en from orgs o join cohort_orgs c on c.org_id = o.org_id
),
due as (
  select t.org_id, t.metric, t.target_value
  from targets t
  where t.period_type = :period_type and t.period_start = :period_start
),
inputs as (
  select n.org_id, n.level, r.metric, r.weight, r.rule, v.value, v.opening,
    -- lower is better: the sign turns the scale so that a higher signed value is always better
    case when position(',' || r.metric || ',' in ',' || :lower || ',') > 0 then -1 else 1 end as sign,
    -- what is due by now (as on the targets page): a flow's target pro-rated by working-day time progress;
    -- for a balance, the opening balance plus that share of the planned increase
    case when v.aggregation = 'period_end' and v.opening is not null and d.target_value > v.opening
           then v.opening + (d.target_value - v.opening) * :progress
         when v.aggregation = 'period_end' then d.target_value
         else d.target_value * :progress end as due_value
  from nodes n
  cross join rules r
  left join metric_values v on v.org_id = n.org_id and v.metric = r.metric
  left join due d on d.org_id = n.org_id and d.metric = r.metric
  where r.rule <> 'off' and r.weight > 0
),
bounds as (
  select level, metric, count(value) as n, min(sign * value) as lo, max(sign * value) as hi
  from inputs
  group by level, metric
),
ranked_values as (
  select i.*, b.n, b.lo, b.hi,
    -- 1 + the number of nodes doing strictly better: tied nodes share the higher percentile
    rank() over (partition by i.level, i.metric order by case when i.value is null then 1 else 0 end, i.sign * i.value desc) as value_rank
  from inputs i
  join bounds b on b.level = i.level and b.metric = i.metric
),
normalised as (
  select org_id, level, metric, weight, rule, value, due_value,
    case
      when rule = 'capped' then
        case when due_value > 0 and value is not null then
          least(greatest(case when sign < 0 then case when value > 0 then due_value / value else :cap end
                              -- made against due, counted from the opening value (zero for a flow)
                              when opening is not null and due_value > opening then (value - opening) / (due_value - opening)
                              else value / due_value end, 0), :cap) / :cap
        end
      when value is null then null
      when rule = 'percentile' then case when n = 1 then 1.0 else (n - value_rank) * 1.0 / (n - 1) end
      when rule = 'minmax' then case when hi = lo then 1.0 else (sign * value - lo) / (hi - lo) end
    end as norm
  from ranked_values
),
-- weights of indicators that could be scored (a missing target leaves its weight out) share the 100 points
points as (
  select org_id, metric, weight, rule, value, due_value, norm,
    case when norm is not null
      then 100.0 * weight / nullif(sum(case when norm is not null then weight end) over (partition by org_id), 0) end as max_points
  from normalised
),
base_totals as (
  select org_id, sum(norm * max_points) as score from points group by org_id
),
loop_scored as (
  select a.org_id, a.score as norm, (100 - :w_action_loop) / 100.0 as share
  from action_loop a
  join nodes n on n.org_id = a.org_id
  where a.score is not null and :w_action_loop > 0
),
totals as (
  select b.org_id, case when l.norm is null then b.score else b.score * l.share + l.norm * :w_action_loop end as score
  from base_totals b
  left join loop_scored l on l.org_id = b.org_id
),
ranked as (
  select n.org_id, n.parent_id, n.level, n.name_zh, n.name_en, t.score,
    rank() over (partition by n.parent_id order by coalesce(t.score, -1) desc) as rank,
    count(*) over (partition by n.parent_id) as siblings,
    rank() over (partition by n.level order by coalesce(t.score, -1) desc) as tier_rank,
    count(*) over (partition by n.level) as tier_size
  from nodes n
  join totals t on t.org_id = n.org_id
),
focus as (
  select r.*, case when r.org_id = :org_id then 'self' when r.parent_id = :org_id then 'child' else 'sibling' end as relation
  from ranked r
  where r.org_id = :org_id
     or r.parent_id = :org_id
     or r.parent_id = (select parent_id from orgs where org_id = :org_id)
),
final as (
  select f.org_id, f.parent_id, f.level, f.name_zh, f.name_en, f.score, f.rank, f.siblings, f.tier_rank, f.tier_size,
    1 + cast(floor(4.0 * (f.tier_rank - 1) / f.tier_size) as integer) as quartile, f.relation,
    'total' as indicator, cast(null as double) as value, cast(null as double) as due_value,
    cast(null as double) as norm, cast(null as double) as points, cast(null as double) as max_points,
    cast(null as bigint) as actions_due, cast(null as bigint) as actions_done_on_time, cast(null as double) as action_effect
  from focus f
  where f.org_id in (select org_id from scope_orgs) or f.org_id in (select org_id from peer_orgs)
  union all
  -- indicator detail only for the user's own subtree
  select f.org_id, f.parent_id, f.level, f.name_zh, f.name_en, f.score, f.rank, f.siblings, f.tier_rank, f.tier_size,
    1 + cast(floor(4.0 * (f.tier_rank - 1) / f.tier_size) as integer), f.relation,
    p.metric, p.value, p.due_value, p.norm, p.norm * p.max_points * coalesce(l.share, 1), p.max_points * coalesce(l.share, 1),
    cast(null as bigint), cast(null as bigint), cast(null as double)
  from focus f
  join points p on p.org_id = f.org_id
  left join loop_scored l on l.org_id = f.org_id
  where f.org_id in (select org_id from scope_orgs)
  union all
  -- the action follow-through row (own subtree only, when it carries weight): completion as its value
  select f.org_id, f.parent_id, f.level, f.name_zh, f.name_en, f.score, f.rank, f.siblings, f.tier_rank, f.tier_size,
    1 + cast(floor(4.0 * (f.tier_rank - 1) / f.tier_size) as integer), f.relation,
    'action_loop', a.completion, cast(null as double), l.norm, l.norm * :w_action_loop,
    case when l.norm is not null then :w_action_loop end,
    coalesce(a.due, 0), coalesce(a.done_on_time, 0), a.effect
  from focus f
  left join action_loop a on a.org_id = f.org_id
  left join loop_scored l on l.org_id = f.org_id
  where f.org_id in (select org_id from scope_orgs) and :w_action_loop > 0
)
select * from final order by level, rank, org_id, indicator
