-- Maps one read file (registered as _file) to raw_customers: canonical columns, extra JSON, record ids.
-- The field list, the extra JSON and the record id expression are generated from rules/sources.yaml (quoted identifiers).
with mapped as (
    select
        "__line" as source_line,
        "__error" as parse_error,
        {fields},
        {extra} as extra,
        {record_id} as raw_id
    from {rows}
),
ids as (
    select * exclude (raw_id, record_id), {final_id} as record_id
    from (select *, raw_id as record_id from mapped)
),
keyed as (
    select
        *,
        row_number() over (partition by record_id order by source_line) as occurrence
    from ids
)
select
    source_line,
    parse_error,
    case when {surrogate} and record_id is not null and occurrence > 1
         then record_id || '#' || occurrence else record_id end as source_record_id,
    * exclude (source_line, parse_error, record_id, occurrence)
from keyed
order by source_line
