-- description: The customer attributes a source holds for an org node's customers (customer_attributes), and how many customers have each: the conversion breakdowns the SICAS page offers besides its own.
-- param: org_id org
select a.attribute, count(distinct a.customer_id) as customers
from customer_attributes a
join node_orgs n on n.org_id = a.org_id
group by a.attribute
order by a.attribute
