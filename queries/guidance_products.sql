-- description: Guidance: the products with their category and names (reference data for insight text).
-- scope: none
select product_id, category, name_zh, name_en from products order by product_id
