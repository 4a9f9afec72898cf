-- description: Names of the campaigns and products that SICAS breakdowns slice by (reference data).
-- scope: none
with named as (
  select 'campaign' as kind, campaign_id as id, name_zh, name_en from campaigns
  union all
  select 'product', product_id, name_zh, name_en from products
)
select kind, id, name_zh, name_en from named order by kind, id
