-- The expectations that failed in the night's latest run of each suite (counts only: no value is kept).
with latest_run as (
    select suite, arg_max(run_id, validated_at) as run_id
    from expectation_results
    where partition_date = $partition
    group by all
)

select
    r.suite,
    r.expectation,
    r.severity,
    r.unexpected_count,
    r.element_count,
    r.unexpected_percent / 100 as unexpected_share,
    r.error
from expectation_results as r
inner join latest_run using (suite, run_id)
where r.partition_date = $partition and not r.success
order by r.severity = 'warn', r.suite, r.expectation
