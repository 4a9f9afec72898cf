-- description: Working-day calendar between two dates (bank holidays and make-up working weekends included).
-- scope: none
-- param: start date
-- param: end date
with days as (
  select cal_date, is_workday, holiday_name
  from calendar
  where cal_date between :start and :end
)
select cal_date, is_workday, holiday_name from days order by cal_date
