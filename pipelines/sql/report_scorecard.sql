-- The night's rates per source and field, with the value of the previous night that has the same metric.
with night as (
    select source_system, table_name, field, metric, value, numerator, denominator
    from quality_metrics
    where partition_date = $partition
      and metric in ('completeness', 'validity', 'uniqueness', 'consistency', 'timeliness', 'duplicate_rate')
),

previous as (
    select source_system, table_name, field, metric, value
    from quality_metrics
    where partition_date < $partition
    qualify row_number() over (partition by source_system, table_name, field, metric
                               order by partition_date desc) = 1
)

select n.source_system, n.table_name, n.field, n.metric, n.value, n.numerator, n.denominator,
       p.value as previous, n.value - p.value as delta
from night as n
left join previous as p using (source_system, table_name, field, metric)
order by n.source_system = 'all' desc, n.source_system, n.field, n.metric
