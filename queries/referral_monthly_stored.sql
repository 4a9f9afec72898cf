-- description: The monthly route figures as stored by `cockpit build` (mart_referral_month, cockpit/warehouse/channel_mart.py), summed over the window's months: the rows referral_monthly returns for a node from the sub-branches up and a window from a month's first day that no stored month runs past; no rows otherwise (referral_monthly then counts from the referrals).
-- param: org_id org
-- param: start date
-- param: end date
with stored as (
  select m.*
  from mart_referral_month m
  join scope_orgs s on s.org_id = m.org_id
  where m.org_id = :org_id and m.month between :start and :end
    and cast(:start as date) = cast(date_trunc('month', cast(:start as date)) as date)
),
whole as (  -- every stored month in the window ends inside it (else the window cuts a month: compute)
  select * from stored where not exists (select 1 from stored where last_created > :end)
),
final as (
  select from_channel_id, to_channel_id, month, sum(created) as created, sum(on_time) as on_time,
         sum(on_time) * 1.0 / sum(created) as on_time_rate
  from whole group by from_channel_id, to_channel_id, month
)
select * from final order by from_channel_id, to_channel_id, month
