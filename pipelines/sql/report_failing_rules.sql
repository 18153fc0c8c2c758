-- Rules that failed this night, quarantining and flagging, with up to 5 example records each (raw values:
-- they are masked before they are shown).
with failures as (
    select 'quarantine' as action, rule, partition_date, source_system, source_file, source_line, source_record_id
    from quarantine
    where partition_date = $partition
    union all
    select 'flag', unnest(quality_flags), partition_date, source_system, source_file, source_line, source_record_id
    from customers_clean
    where partition_date = $partition
),

counted as (
    select *,
           count(*) over (partition by rule) as failures,
           row_number() over (partition by rule order by source_system, source_file, source_line) as example
    from failures
)

select f.action, f.rule, f.failures, f.example, f.source_system, f.source_file, f.source_line,
       coalesce(f.source_record_id, r.source_record_id) as source_record_id,
       coalesce(r.full_name, nullif(concat_ws(' ', r.given_name, r.family_name), '')) as full_name,
       r.phone, r.email, r.birth_date, r.gender, r.country, r.district, r.address, r.street,
       r.created_at, r.updated_at, r.last_activity_at
from counted as f
left join raw_customers as r
  on r.partition_date = f.partition_date
 and r.source_file = f.source_file
 and r.source_line = f.source_line
where f.example <= 5
order by f.failures desc, f.rule, f.example
