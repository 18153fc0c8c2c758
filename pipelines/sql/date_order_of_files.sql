-- Per file of a night, its dates written year last (03/04/1990, 13.04.90) and how many of them only one order of
-- day and month reads: 13/04/1990 only day first, 04/13/1990 only month first (standardize/date_order.py).
with written as (
    select source_system, source_file,
           regexp_extract(unnest([{date_fields}]), '^\s*(\d{{1,2}})\s*[/.\-]\s*(\d{{1,2}})\s*[/.\-]\s*\d{{2,4}}(?:\D|$)',
                          ['first', 'second']) as parts
    from raw_customers
    where partition_date = $partition
), numbers as (
    select source_system, source_file, try_cast(parts.first as int) as first, try_cast(parts.second as int) as second
    from written
    where parts.first <> ''
)
select source_system, source_file,
       count(*) as year_last,
       count_if(first between 13 and 31 and second between 1 and 12) as day_first_only,
       count_if(second between 13 and 31 and first between 1 and 12) as month_first_only
from numbers
group by all
order by all
