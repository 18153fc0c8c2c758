-- raw_customers of one night with the cheap text cleaning done here: whitespace folded, null tokens emptied.
-- ASCII and CJK values are final after this (cleanse.SETTLED_TEXT); values holding any other character are
-- marked for NFKC in Python (a bit per field in nfkc_fields). Date fields of settled values are parsed here
-- too, where DuckDB reads the formats as pandas does (standardize/dates.py). The columns of sources.yaml's
-- not_customers are read here too, from their field or from extra (standardize/not_customers.py). Each field's regular expressions
-- run once (in `measured`): a CASE that called them in its branches cost twice the time.
with night as (
    -- a file writing its dates in the order of day and month its source does not declare (standardize/date_order.py)
    select *, list_contains($other_order_files::varchar[], source_file) as _other_date_order
    from raw_customers
    where partition_date = $partition
      -- one chunk of the night: every version of a record falls in the same chunk
      and hash(source_system, source_record_id) % $chunks = $chunk
),
-- most values are final as they are (cleanse.FINAL_TEXT): one match each; only the others are folded and measured
finals as (
    select *, {final}
    from night
),
measured as (
    select *, {measured}
    from finals
),
-- the date fields of settled rows parsed with the source's formats (cleanse.date_formats_case); the rest in pandas
parsed as (
    select *, {parsed}
    from measured
)
select
    * exclude ({field_names}, {helper_names}),
    {cleaned},
    {in_range},
    {nfkc_fields} as nfkc_fields{not_customers}
from parsed
order by source_system, source_file, source_line
