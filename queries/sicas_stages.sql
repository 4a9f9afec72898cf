-- description: The SICAS stages in order, numbered 1-5, with the codes events.stage holds (the definition is cockpit/domain/sicas.py STAGES; reference data).
-- scope: none
with stages as (
  select 1 as stage_no, 'S' as stage union all select 2, 'I' union all select 3, 'C'
  union all select 4, 'A' union all select 5, 'H'
)
select stage_no, stage from stages order by stage_no
