-- description: WeCom private-domain figures of an org node in a window: contacts added, customers and staff active in WeCom, 1-to-1 messages and replies, group messages and Moments interactions.
-- param: org_id org
-- param: start date
-- param: end date
-- prepared:
with ev as (
  select e.event_type, e.customer_id, e.staff_id, e.channel_id
  from events e
  join node_orgs n on n.org_id = e.org_id
  where e.event_date between :start and :end
    and (e.channel_id in ('wecom_1to1', 'wecom_group', 'wecom_moments') or e.event_type = 'add_wecom')
),
final as (
  select
    sum(case when event_type = 'add_wecom' then 1 else 0 end) as contacts_added,
    count(distinct customer_id) as wecom_customers,
    count(distinct staff_id) as wecom_staff,
    sum(case when event_type = 'wecom_msg_sent' then 1 else 0 end) as messages_sent,
    sum(case when event_type = 'wecom_reply' and channel_id = 'wecom_1to1' then 1 else 0 end) as replies,
    sum(case when event_type = 'group_message' then 1 else 0 end) as group_messages,
    sum(case when event_type = 'moments_like' then 1 else 0 end) as moments_interactions
  from ev
)
select * from final
