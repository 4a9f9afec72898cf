-- description: Open and reply rates across outreach touchpoints (SMS, app push, WeCom 1-to-1, WeCom groups and Moments) for an org node in a window.
-- param: org_id org
-- param: start date
-- param: end date
-- prepared:
with ev as (
  select e.event_type, e.channel_id
  from events e
  join node_orgs n on n.org_id = e.org_id
  where e.event_date between :start and :end
    and e.event_type in ('sms_sent', 'sms_open', 'push_sent', 'push_open', 'wecom_msg_sent', 'wecom_msg_open',
                         'wecom_reply', 'group_message', 'moments_like')
),
counted as (
  select
    sum(case when event_type = 'sms_sent' then 1 else 0 end) as sms_sent,
    sum(case when event_type = 'sms_open' then 1 else 0 end) as sms_open,
    sum(case when event_type = 'push_sent' then 1 else 0 end) as push_sent,
    sum(case when event_type = 'push_open' then 1 else 0 end) as push_open,
    sum(case when event_type = 'wecom_msg_sent' then 1 else 0 end) as wecom_sent,
    sum(case when event_type = 'wecom_msg_open' then 1 else 0 end) as wecom_open,
    sum(case when event_type = 'wecom_reply' and channel_id = 'wecom_1to1' then 1 else 0 end) as wecom_reply,
    sum(case when event_type = 'group_message' then 1 else 0 end) as group_sent,
    sum(case when event_type = 'moments_like' then 1 else 0 end) as group_like
  from ev
),
rows_ as (
  select 1 as ord, 'sms' as touchpoint, sms_sent as sent, sms_open as opened, cast(null as bigint) as replied from counted
  union all select 2, 'push', push_sent, push_open, null from counted
  union all select 3, 'wecom_1to1', wecom_sent, wecom_open, wecom_reply from counted
  union all select 4, 'wecom_group', group_sent, group_like, null from counted
),
final as (
  select touchpoint, coalesce(sent, 0) as sent, coalesce(opened, 0) as opened, replied,
         opened * 1.0 / nullif(sent, 0) as open_rate,
         replied * 1.0 / nullif(sent, 0) as reply_rate
  from rows_
)
select touchpoint, sent, opened, replied, open_rate, reply_rate from final
order by case touchpoint when 'sms' then 1 when 'push' then 2 when 'wecom_1to1' then 3 else 4 end
