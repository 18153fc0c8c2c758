-- The series the report charts: chosen metrics per source over the last 30 nights up to this one.
with nights as (
    select distinct partition_date
    from quality_metrics
    where partition_date <= $partition
    order by partition_date desc
    limit 30
),

charted as (
    select * from (values
        (1, 'customers_clean', '*', 'pass_rate', 'Rows passing (not quarantined)'),
        (2, 'customers_clean', 'email', 'validity', 'Valid e-mail addresses'),
        (3, 'customers_clean', 'phone', 'validity', 'Valid phone numbers'),
        (4, 'customers_clean', 'district', 'validity', 'Chinese addresses resolved to a district'),
        (5, 'customer_xref', 'full_name', 'consistency', 'Names agreeing with other sources of the same customer')
    ) as t(chart, table_name, field, metric, title)
)

select c.title, m.table_name, m.field, m.metric, m.source_system, m.partition_date, m.value
from quality_metrics as m
join charted as c using (table_name, field, metric)
where m.partition_date in (select partition_date from nights)
order by c.chart, m.source_system, m.partition_date
