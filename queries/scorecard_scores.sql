-- description: Branch scorecard: every node's indicators (and the action follow-through indicator, bound from the app's actions) scored by the rules of cockpit/domain/scorecard.yaml (capped achievement of what is due by now, or fixed bands from a floor to a goal: no node's score depends on another node's figures), total out of 100, rank among siblings and in the tier, quartile; returned for a node, its siblings (peers: name, score and rank only) and its children.
-- scope: peers
-- include: metric_values
-- param: org_id org
-- param: start date
-- param: end date
-- param: period_type one of(month|quarter|year)
-- param: period_start date
-- setting: progress float = 1
-- setting: cap float = 1.2
-- setting: lower str = none
-- setting: w_deposits float = 0
-- setting: r_deposits one of(off|capped|bands) = off
-- setting: f_deposits float = 0
-- setting: g_deposits float = 1
-- setting: w_aum float = 0
-- setting: r_aum one of(off|capped|bands) = off
-- setting: f_aum float = 0
-- setting: g_aum float = 1
-- setting: w_deposit_growth float = 0
-- setting: r_deposit_growth one of(off|capped|bands) = off
-- setting: f_deposit_growth float = 0
-- setting: g_deposit_growth float = 1
-- setting: w_aum_growth float = 0
-- setting: r_aum_growth one of(off|capped|bands) = off
-- setting: f_aum_growth float = 0
-- setting: g_aum_growth float = 1
-- setting: w_sales float = 0
-- setting: r_sales one of(off|capped|bands) = off
-- setting: f_sales float = 0
-- setting: g_sales float = 1
-- setting: w_fee_income float = 0
-- setting: r_fee_income one of(off|capped|bands) = off
-- setting: f_fee_income float = 0
-- setting: g_fee_income float = 1
-- setting: w_actions float = 0
-- setting: r_actions one of(off|capped|bands) = off
-- setting: f_actions float = 0
-- setting: g_actions float = 1
-- setting: w_new_customers float = 0
-- setting: r_new_customers one of(off|capped|bands) = off
-- setting: f_new_customers float = 0
-- setting: g_new_customers float = 1
-- setting: w_upgrades float = 0
-- setting: r_upgrades one of(off|capped|bands) = off
-- setting: f_upgrades float = 0
-- setting: g_upgrades float = 1
-- setting: w_active_customers float = 0
-- setting: r_active_customers one of(off|capped|bands) = off
-- setting: f_active_customers float = 0
-- setting: g_active_customers float = 1
-- setting: w_active_ratio float = 0
-- setting: r_active_ratio one of(off|capped|bands) = off
-- setting: f_active_ratio float = 0
-- setting: g_active_ratio float = 1
-- setting: w_unified_id_share float = 0
-- setting: r_unified_id_share one of(off|capped|bands) = off
-- setting: f_unified_id_share float = 0
-- setting: g_unified_id_share float = 1
-- setting: w_referral_conversion float = 0
-- setting: r_referral_conversion one of(off|capped|bands) = off
-- setting: f_referral_conversion float = 0
-- setting: g_referral_conversion float = 1
-- setting: w_sla_breach_rate float = 0
-- setting: r_sla_breach_rate one of(off|capped|bands) = off
-- setting: f_sla_breach_rate float = 0
-- setting: g_sla_breach_rate float = 1
-- setting: w_satisfaction float = 0
-- setting: r_satisfaction one of(off|capped|bands) = off
-- setting: f_satisfaction float = 0
-- setting: g_satisfaction float = 1
-- setting: w_response_seconds float = 0
-- setting: r_response_seconds one of(off|capped|bands) = off
-- setting: f_response_seconds float = 0
-- setting: g_response_seconds float = 1
-- setting: w_complaint_rate float = 0
-- setting: r_complaint_rate one of(off|capped|bands) = off
-- setting: f_complaint_rate float = 0
-- setting: g_complaint_rate float = 1
-- setting: w_action_loop float = 0
-- setting: source one of(events|stored) = events
-- setting: settings_key str = none
-- setting: build_levels int = -1
-- rows: action_loop(org_id varchar, due bigint, done_on_time bigint, completion double, effect double, score double)
-- weight, rule, floor and goal per indicator are settings from cockpit/domain/scorecard.yaml (bound by cockpit.domain.scorecard,
-- never by a caller); 'off' leaves it out.
-- action_loop: the action follow-through indicator per node, scored 0..1 by cockpit/domain/outcome.py (bound by cockpit.domain.scorecard);
-- where a node's score is there, it takes w_action_loop of the 100 points and the other indicators share the rest;
-- a node without one (no action due) keeps the total of its other indicators.
-- source: 'events' scores from metric_values; 'stored' reads the indicators' points from mart_scorecard, written by
-- `cockpit build` (cockpit/domain/scorecard_store.py) for the same period, through date and settings_key (a digest of
-- the settings above but w_action_loop, which applies here), and returns nothing when the tiers of the node and of its
-- children are not stored. build_levels (the build only): every node down to that level instead of the node's own.
with rules as (
  select 'deposits' as metric, :w_deposits as weight, :r_deposits as rule, :f_deposits as floor_value, :g_deposits as goal_value
  union all select 'aum', :w_aum, :r_aum, :f_aum, :g_aum
  union all select 'deposit_growth', :w_deposit_growth, :r_deposit_growth, :f_deposit_growth, :g_deposit_growth
  union all select 'aum_growth', :w_aum_growth, :r_aum_growth, :f_aum_growth, :g_aum_growth
  union all select 'sales', :w_sales, :r_sales, :f_sales, :g_sales
  union all select 'fee_income', :w_fee_income, :r_fee_income, :f_fee_income, :g_fee_income
  union all select 'actions', :w_actions, :r_actions, :f_actions, :g_actions
  union all select 'new_customers', :w_new_customers, :r_new_customers, :f_new_customers, :g_new_customers
  union all select 'upgrades', :w_upgrades, :r_upgrades, :f_upgrades, :g_upgrades
  union all select 'active_customers', :w_active_customers, :r_active_customers, :f_active_customers, :g_active_customers
  union all select 'active_ratio', :w_active_ratio, :r_active_ratio, :f_active_ratio, :g_active_ratio
  union all select 'unified_id_share', :w_unified_id_share, :r_unified_id_share, :f_unified_id_share, :g_unified_id_share
  union all select 'referral_conversion', :w_referral_conversion, :r_referral_conversion, :f_referral_conversion, :g_referral_conversion
  union all select 'sla_breach_rate', :w_sla_breach_rate, :r_sla_breach_rate, :f_sla_breach_rate, :g_sla_breach_rate
  union all select 'satisfaction', :w_satisfaction, :r_satisfaction, :f_satisfaction, :g_satisfaction
  union all select 'response_seconds', :w_response_seconds, :r_response_seconds, :f_response_seconds, :g_response_seconds
  union all select 'complaint_rate', :w_complaint_rate, :r_complaint_rate, :f_complaint_rate, :g_complaint_rate
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
  select n.org_id, n.level, r.metric, r.weight, r.rule, r.floor_value, r.goal_value, v.value, v.opening,
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
      -- bands: from the floor (0) to the goal (1), both fixed in the configuration; a goal below the floor
      -- when lower is better
      when rule = 'bands' then least(greatest((value - floor_value) / (goal_value - floor_value), 0), 1)
    end as norm
  from inputs
),
-- weights of indicators that could be scored (a missing target leaves its weight out) share the 100 points
computed_points as (
  select org_id, metric, value, due_value, norm,
    case when norm is not null
      then 100.0 * weight / nullif(sum(case when norm is not null then weight end) over (partition by org_id), 0) end as max_points
  from normalised
),
node_level as (select level from orgs where org_id = :org_id),
stored_points as (
  select m.org_id, m.metric, m.value, m.due_value, m.norm, m.max_points
  from mart_scorecard m
  where :source = 'stored' and m.period_type = :period_type and m.period_start = :period_start and m.period_start = :start
    and m.window_end = :end and m.settings_key = :settings_key
    and m.level between (select level from node_level) and (select level from node_level) + 1
),
points as (
  select * from computed_points where :source = 'events'
  union all
  -- the stored tiers, when the children's tier is among them
  select * from stored_points
  where (select max(m.level) from mart_scorecard m where m.period_type = :period_type and m.period_start = :period_start
           and m.window_end = :end and m.settings_key = :settings_key) > (select level from node_level)
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
     or r.level <= :build_levels
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
