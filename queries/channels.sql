-- description: The channels with their group (online, remote, offline) and names.
-- scope: none
select channel_id, channel_group, name_zh, name_en from channels order by channel_group, channel_id
