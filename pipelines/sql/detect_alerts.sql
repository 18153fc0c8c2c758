-- Alerts of one night: each rule of rules/alerts.yaml (registered as alert_rules) against the mean of the same
-- metric over the previous `nights` nights that have it. Parameters: $partition, $run_id.
with current as (
    select r.rule, r.kind, r.threshold, r.nights, r.min_history,
           m.source_system, m.table_name, m.field, m.metric, m.value
    from quality_metrics as m
    join alert_rules as r
      on m.table_name = r.table_name
     and m.metric = r.metric
     and (r.field = 'any' or m.field = r.field)
     and (r.source = 'any' or m.source_system = r.source)
    where m.partition_date = $partition
),

history as (
    select c.rule, c.source_system, c.table_name, c.field, c.metric, h.value,
           row_number() over (partition by c.rule, c.source_system, c.table_name, c.field, c.metric
                              order by h.partition_date desc) as nights_back
    from current as c
    join quality_metrics as h
      on h.source_system = c.source_system
     and h.table_name = c.table_name
     and h.field = c.field
     and h.metric = c.metric
     and h.partition_date < $partition
),

baseline as (
    select h.rule, h.source_system, h.table_name, h.field, h.metric,
           -- summed in a fixed order: a float sum in the order rows arrive differs in its last digit between
           -- a rerun and the first run, and a rerun must give the same table
           avg(h.value order by h.nights_back) as mean, stddev_samp(h.value order by h.nights_back) as sd,
           count(*) as nights_seen
    from history as h
    join current as c using (rule, source_system, table_name, field, metric)
    where h.nights_back <= c.nights
    group by all
),

scored as (
    select c.*, b.mean as baseline, b.nights_seen,
           case c.kind
               when 'drop' then b.mean - c.value
               when 'rise' then c.value - b.mean
               when 'zscore' then abs(c.value - b.mean) / nullif(b.sd, 0)
               when 'pct_change' then abs(c.value - b.mean) / nullif(abs(b.mean), 0)
           end as score
    from current as c
    join baseline as b using (rule, source_system, table_name, field, metric)
    where b.nights_seen >= c.min_history
)

select
    $partition::date as partition_date,
    $run_id as run_id,
    rule,
    source_system,
    table_name,
    field,
    metric,
    value,
    baseline,
    threshold,
    printf('%s: %s of %s.%s for %s is %.4g against %.4g over the previous %d night(s) (%s %.4g > %.4g)',
           rule, metric, table_name, field, source_system, value, baseline, nights_seen, kind, score,
           threshold) as message,
    now()::timestamp as raised_at
from scored
where score > threshold
order by rule, source_system, table_name, field
