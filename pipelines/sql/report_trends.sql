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

-- every night of the window is on each chart's axis: a night without the chart's metric (no rows that night)
-- comes as a row without a source, a gap in the line, not a night left out
select c.title, c.table_name, c.field, c.metric, m.source_system, n.partition_date, m.value
from charted as c
cross join nights as n
left join quality_metrics as m
  on m.table_name = c.table_name and m.field = c.field and m.metric = c.metric
 and m.partition_date = n.partition_date
order by c.chart, m.source_system nulls first, n.partition_date
