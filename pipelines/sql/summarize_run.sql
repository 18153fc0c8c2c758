-- One pipeline_runs row per landed file of a partition: rows in, clean, quarantined, and whether they balance.
with files as (
    select partition_date, source_system, source_file, status, rows_read, error
    from ingest_files
    where partition_date = $partition
),
clean as (
    select source_file, count(*) as n
    from customers_clean
    where partition_date = $partition
    group by source_file
),
quarantined as (
    select source_file, count(*) as n
    from quarantine
    where partition_date = $partition
    group by source_file
)
select
    $run_id as run_id,
    files.partition_date,
    files.source_system,
    files.source_file,
    files.rows_read as rows_in,
    coalesce(clean.n, 0) as rows_clean,
    coalesce(quarantined.n, 0) as rows_quarantined,
    case
        when files.status = 'rejected' then 'rejected'
        when files.rows_read = coalesce(clean.n, 0) + coalesce(quarantined.n, 0) then 'completed'
        else 'unbalanced'
    end as status,
    files.error,
    $started::timestamp as started,
    $finished::timestamp as finished
from files
left join clean using (source_file)
left join quarantined using (source_file)
order by files.source_system, files.source_file
