-- description: Guidance: the campaigns with their names, product and dates (reference data for insight text).
-- scope: none
select campaign_id, name_zh, name_en, product_id, start_date, end_date from campaigns order by campaign_id
