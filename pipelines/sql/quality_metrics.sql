-- One night's quality metrics, per source and for every source together ('all').
-- Rates are numerator / denominator over the rows a metric applies to; parameters: $partition, $run_id.
with clean as (
    select *, coalesce(quality_flags, []) as flags
    from customers_clean
    where partition_date = $partition
),

field_checks as (
    select
        source_system,
        unnest([
            {'field': 'full_name', 'present': full_name is not null, 'applies': false, 'valid': false},
            -- a gender written is present, read or not (an unknown spelling is flagged, and fails validity)
            {'field': 'gender', 'present': gender <> 'U' or list_contains(flags, 'unknown_gender'),
             'applies': gender <> 'U' or list_contains(flags, 'unknown_gender'),
             'valid': not list_contains(flags, 'unknown_gender')},
            {'field': 'birth_date', 'present': birth_date is not null or list_contains(flags, 'invalid_birth_date'),
             'applies': birth_date is not null or list_contains(flags, 'invalid_birth_date'),
             'valid': not list_contains(flags, 'invalid_birth_date')},
            {'field': 'phone', 'present': phone_raw is not null, 'applies': phone_raw is not null,
             'valid': phone_valid},
            {'field': 'email', 'present': email_raw is not null, 'applies': email_raw is not null,
             'valid': email_valid},
            {'field': 'dates',
             'present': coalesce(created_at, updated_at, last_activity_at) is not null,
             'applies': coalesce(created_at, updated_at, last_activity_at) is not null
                        or list_contains(flags, 'invalid_date'),
             'valid': not list_contains(flags, 'invalid_date')},
            {'field': 'district',
             'present': district is not null,
             'applies': coalesce(country, 'CN') = 'CN' and coalesce(province, city, district, street) is not null,
             'valid': district is not null and not list_contains(flags, 'ambiguous_address')},
            {'field': 'country', 'present': country is not null, 'applies': false, 'valid': false},
            {'field': 'province', 'present': province is not null, 'applies': false, 'valid': false},
            {'field': 'city', 'present': city is not null, 'applies': false, 'valid': false},
            {'field': 'street', 'present': street is not null, 'applies': false, 'valid': false},
            {'field': 'postcode', 'present': postcode is not null, 'applies': false, 'valid': false},
            {'field': 'company', 'present': company is not null, 'applies': false, 'valid': false},
            {'field': 'last_activity_at', 'present': last_activity_at is not null, 'applies': false,
             'valid': false}
        ]) as c
    from clean
),

completeness as (
    select source_system, 'customers_clean' as table_name, c.field as field, 'completeness' as metric,
           count(*) filter (where c.present) as numerator, count(*) as denominator
    from field_checks
    group by grouping sets ((source_system, c.field), (c.field))
),

validity as (
    select source_system, 'customers_clean' as table_name, c.field as field, 'validity' as metric,
           count(*) filter (where c.applies and c.valid) as numerator, count(*) filter (where c.applies) as denominator
    from field_checks
    where c.field in ('gender', 'birth_date', 'phone', 'email', 'dates', 'district')
    group by grouping sets ((source_system, c.field), (c.field))
),

keyed as (
    select source_system, unnest([
        {'field': 'phone', 'value': phone},
        {'field': 'email', 'value': email},
        {'field': 'source_record_id', 'value': source_record_id}
    ]) as k
    from clean
),

uniqueness as (
    select source_system, 'customers_clean' as table_name, k.field as field, 'uniqueness' as metric,
           count(distinct k.value) as numerator, count(k.value) as denominator
    from keyed
    group by grouping sets ((source_system, k.field), (k.field))
),

timeliness as (
    select source_system, 'customers_clean' as table_name, 'last_activity_at' as field, 'timeliness' as metric,
           count(*) filter (where last_activity_at >= partition_date - interval 365 day) as numerator,
           count(last_activity_at) as denominator
    from clean
    group by grouping sets ((source_system), ())
),

activity_age as (
    select coalesce(source_system, 'all') as source_system, 'customers_clean' as table_name,
           'last_activity_at' as field, 'age_days_median' as metric,
           median(date_diff('day', last_activity_at, partition_date::timestamp))::double as value,
           null::bigint as numerator, count(last_activity_at) as denominator
    from clean
    group by grouping sets ((source_system), ())
),

-- the latest version, up to this night, of every record: what the other sources say about a master
latest as (
    select c.*, x.master_id
    from customers_clean as c
    join customer_xref as x using (source_system, source_record_id)
    where c.partition_date <= $partition
    qualify row_number() over (partition by c.source_system, c.source_record_id
                               order by c.partition_date desc, c.source_line desc) = 1
),

compared as (
    select c.source_system, v.field, c.source_record_id,
           bool_and(v.mine = v.theirs) as agrees
    from clean as c
    join customer_xref as x using (source_system, source_record_id)
    join latest as o on o.master_id = x.master_id and o.source_system <> c.source_system
    cross join lateral (select unnest([
        {'field': 'full_name', 'mine': lower(c.full_name), 'theirs': lower(o.full_name)},
        {'field': 'gender', 'mine': nullif(c.gender, 'U'), 'theirs': nullif(o.gender, 'U')},
        {'field': 'birth_date', 'mine': c.birth_date::varchar, 'theirs': o.birth_date::varchar},
        {'field': 'phone', 'mine': c.phone, 'theirs': o.phone},
        {'field': 'email', 'mine': c.email, 'theirs': o.email}
    ], recursive := true)) as v
    where v.mine is not null and v.theirs is not null
    group by all
),

consistency as (
    select source_system, 'customer_xref' as table_name, field, 'consistency' as metric,
           count(*) filter (where agrees) as numerator, count(*) as denominator
    from compared
    group by grouping sets ((source_system, field), (field))
),

source_masters as (
    select master_id, source_system, count(*) as same_source_records
    from customer_xref
    group by all
),

night_records as (
    select c.source_system, c.source_record_id, x.master_id, m.same_source_records
    from (select distinct source_system, source_record_id from clean) as c
    join customer_xref as x using (source_system, source_record_id)
    join source_masters as m using (master_id, source_system)
),

-- records of the night sharing a master with another record of the same source: duplicates inside a source
duplicates as (
    select source_system, 'customer_xref' as table_name, 'master_id' as field, 'duplicate_rate' as metric,
           count(*) filter (where same_source_records > 1) as numerator, count(*) as denominator
    from night_records
    group by grouping sets ((source_system), ())
),

records_per_master as (
    select coalesce(source_system, 'all') as source_system, 'customer_xref' as table_name, 'master_id' as field,
           'records_per_master' as metric,
           count(*)::double / nullif(count(distinct master_id), 0) as value,
           count(*) as numerator, count(distinct master_id) as denominator
    from night_records
    group by grouping sets ((source_system), ())
),

quarantined as (
    select source_system, rule, count(*) as n
    from quarantine
    where partition_date = $partition
    group by all
),

rule_counts as (
    select source_system, 'quarantine' as table_name, rule as field, 'quarantine_count' as metric,
           sum(n)::double as value
    from quarantined
    group by grouping sets ((source_system, rule), (rule))
    union all
    select source_system, 'customers_clean', flag, 'flag_count', count(*)::double
    from (select source_system, unnest(flags) as flag from clean)
    group by grouping sets ((source_system, flag), (flag))
),

rows_by_source as (
    select source_system,
           (select count(*) from clean as c where c.source_system = s.source_system) as clean_rows,
           coalesce((select sum(n) from quarantined as q where q.source_system = s.source_system), 0) as quarantined_rows
    -- every source that ever delivered (pipeline_runs, this night's rejected files included): one that sent no
    -- rows tonight counts 0, so a night or a source gone silent shows in row_count and its alerts
    from (select source_system from clean union select source_system from quarantined
          union select source_system from pipeline_runs where partition_date <= $partition) as s
),

row_counts as (
    select source_system, 'customers_clean' as table_name, '*' as field, 'row_count' as metric,
           sum(clean_rows)::double as value, null::bigint as numerator, null::bigint as denominator
    from rows_by_source
    group by grouping sets ((source_system), ())
    union all
    select source_system, 'quarantine', '*', 'row_count', sum(quarantined_rows)::double, null, null
    from rows_by_source
    group by grouping sets ((source_system), ())
    union all
    select source_system, 'customers_clean', '*', 'pass_rate',
           sum(clean_rows) / nullif(sum(clean_rows) + sum(quarantined_rows), 0),
           sum(clean_rows), sum(clean_rows) + sum(quarantined_rows)
    from rows_by_source
    group by grouping sets ((source_system), ())
),

rates as (
    select * from completeness
    union all select * from validity
    union all select * from uniqueness
    union all select * from timeliness
    union all select * from consistency
    union all select * from duplicates
),

metrics as (
    select coalesce(source_system, 'all') as source_system, table_name, field, metric,
           numerator / nullif(denominator, 0) as value, numerator, denominator
    from rates
    where denominator > 0
    union all select * from activity_age
    union all select * from records_per_master where denominator > 0
    union all
    select coalesce(source_system, 'all'), table_name, field, metric, value, null, null
    from rule_counts
    union all
    select coalesce(source_system, 'all'), table_name, field, metric, value, numerator, denominator
    from row_counts
)

select
    $partition::date as partition_date,
    $run_id as run_id,
    source_system,
    table_name,
    field,
    metric,
    value,
    numerator,
    denominator,
    now()::timestamp as computed_at
from metrics
where value is not null
order by source_system, table_name, field, metric
