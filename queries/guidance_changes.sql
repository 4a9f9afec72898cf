-- description: Guidance: every weekly series of the head office, the regions and the sub-branches (events per SICAS stage, stage-to-stage conversion, events per channel, Interest -> Connect per campaign, Actions per product, on-time follow-up per referral route between channel groups), each week scored against the node's own previous 12 weeks and against the nodes of its level in the whole tree that week; rows only for the chosen node's subtree.
-- scope: peers
-- param: org_id org
-- param: end date
-- param: weeks int = 20
-- param: min_expected float = 10
-- param: min_base float = 30
-- param: min_route_base float = 20
with nodes as (
  select o.org_id, o.level from orgs o join cohort_orgs k on k.org_id = o.org_id where o.level <= 2
),
bounds as (
  select cast(date_trunc('week', cast(:end as date) + 1) as date) - 7 * :weeks as lo,
         cast(date_trunc('week', cast(:end as date) + 1) as date) - 1 as hi
),
ev as (
  select n.org_id, cast(date_trunc('week', e.event_date) as date) as week_start, e.stage, e.channel_id,
         e.campaign_id, e.product_id
  from events e
  join bounds b on e.event_date between b.lo and b.hi
  join org_closure c on c.descendant_id = e.org_id
  join nodes n on n.org_id = c.ancestor_id
),
stages as (
  select org_id, week_start, stage, count(*) as n from ev group by org_id, week_start, stage
),
steps as (
  select * from (values ('S', 'I'), ('I', 'C'), ('C', 'A'), ('A', 'H')) as t(from_stage, to_stage)
),
refs as (
  select n.org_id, cast(date_trunc('week', r.created_at) as date) as week_start,
         fc.channel_group || '>' || tc.channel_group as route,
         case when r.followed_up_at is not null
               and date_diff('second', r.created_at, r.followed_up_at) <= r.sla_hours * 3600 then 1 else 0 end as on_time
  from referrals r
  join bounds b on cast(r.created_at as date) between b.lo and b.hi
  join channels fc on fc.channel_id = r.from_channel_id
  join channels tc on tc.channel_id = r.to_channel_id
  join org_closure c on c.descendant_id = r.org_id
  join nodes n on n.org_id = c.ancestor_id
),
series as (
  select org_id, week_start, 'stage' as kind, stage as member, n * 1.0 as num, cast(null as double) as den
  from stages
  union all
  select t.org_id, t.week_start, 'conversion', s.from_stage || '>' || s.to_stage, t.n * 1.0, f.n * 1.0
  from steps s
  join stages f on f.stage = s.from_stage
  left join stages t on t.stage = s.to_stage and t.org_id = f.org_id and t.week_start = f.week_start
  where t.org_id is not null
  union all
  select org_id, week_start, 'channel', channel_id, count(*) * 1.0, cast(null as double)
  from ev group by org_id, week_start, channel_id
  union all
  select org_id, week_start, 'campaign', campaign_id,
         sum(case when stage = 'C' then 1 else 0 end) * 1.0, sum(case when stage = 'I' then 1 else 0 end) * 1.0
  from ev where campaign_id is not null group by org_id, week_start, campaign_id
  union all
  select org_id, week_start, 'product', product_id, count(*) * 1.0, cast(null as double)
  from ev where stage = 'A' and product_id is not null group by org_id, week_start, product_id
  union all
  select org_id, week_start, 'route', route, sum(on_time) * 1.0, count(*) * 1.0
  from refs group by org_id, week_start, route
),
weeks as (
  select distinct week_start from ev
),
keys as (
  select distinct org_id, kind, member from series
),
grid as (
  select k.org_id, n.level, w.week_start, k.kind, k.member,
         coalesce(s.num, 0) as num, case when k.kind in ('conversion', 'campaign', 'route') then coalesce(s.den, 0) end as den
  from keys k
  cross join weeks w
  join nodes n on n.org_id = k.org_id
  left join series s on s.org_id = k.org_id and s.kind = k.kind and s.member = k.member and s.week_start = w.week_start
),
history as (
  select *,
         sum(num) over (partition by org_id, kind, member order by week_start rows between 12 preceding and 1 preceding) as hist_num,
         sum(den) over (partition by org_id, kind, member order by week_start rows between 12 preceding and 1 preceding) as hist_den,
         count(*) over (partition by org_id, kind, member order by week_start rows between 12 preceding and 1 preceding) as hist_weeks
  from grid
),
expected as (
  select *,
         case when den is null then hist_num / 12.0
              when hist_den > 0 then least(greatest(hist_num / hist_den, 0.01), 0.99) end as base,
         case when den is null then hist_num / 12.0
              when hist_den > 0 then den * hist_num / hist_den end as expected
  from history where hist_weeks = 12
),
raw as (
  select *,
         case when den is null then (num - expected) / sqrt(expected)
              else (num - den * base) / sqrt(den * base * (1 - base)) end as z
  from expected
  where expected >= :min_expected and (den is null or den >= case when kind = 'route' then :min_route_base else :min_base end)
),
centre as (
  select level, kind, percentile_cont(0.5) within group (order by z) as mid, count(*) as n from raw group by level, kind
),
spread_level as (
  select r.level, r.kind, c.n, greatest(1.0, 1.4826 * percentile_cont(0.5) within group (order by abs(r.z - c.mid))) as phi
  from raw r join centre c on c.level = r.level and c.kind = r.kind
  group by r.level, r.kind, c.n
),
centre_kind as (
  select kind, percentile_cont(0.5) within group (order by z) as mid from raw group by kind
),
spread_kind as (
  select r.kind, greatest(1.0, 1.4826 * percentile_cont(0.5) within group (order by abs(r.z - c.mid))) as phi
  from raw r join centre_kind c on c.kind = r.kind
  group by r.kind
),
-- the spread of a level and kind, or of the kind at every level when the level has under 30 scores
spread as (
  select l.level, l.kind, case when l.n >= 30 then l.phi else k.phi end as phi
  from spread_level l join spread_kind k on k.kind = l.kind
),
peers as (
  select level, week_start, kind, member, count(*) as nodes, percentile_cont(0.5) within group (order by z) as mid
  from raw group by level, week_start, kind, member
),
final as (
  select r.org_id, r.level, r.week_start, r.kind, r.member, r.num, r.den, r.expected, r.base,
         r.z / s.phi as z_own,
         case when p.nodes >= 4 then (r.z - p.mid) / s.phi end as z_peer, s.phi
  from raw r
  join spread s on s.level = r.level and s.kind = r.kind
  join peers p on p.level = r.level and p.week_start = r.week_start and p.kind = r.kind and p.member = r.member
  join node_orgs o on o.org_id = r.org_id
)
select * from final order by org_id, kind, member, week_start
