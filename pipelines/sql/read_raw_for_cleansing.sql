-- raw_customers of one night with the cheap text cleaning done here: whitespace folded, null tokens emptied.
-- ASCII and CJK values are final after this (cleanse.SETTLED_TEXT); rows holding any other character are
-- marked for NFKC in Python.
with night as (
    select *
    from raw_customers
    where partition_date = $partition
      -- one chunk of the night: every version of a record falls in the same chunk
      and hash(source_system, source_record_id) % $chunks = $chunk
)
select
    * exclude ({field_names}),
    {cleaned},
    not regexp_full_match(concat_ws('', {field_names}), '{settled}') as needs_nfkc
from night
order by source_system, source_file, source_line
