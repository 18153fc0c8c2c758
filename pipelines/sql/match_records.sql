-- The latest version of every source record across all nights: what the matcher scores.
with versions as (
    select
        *,
        row_number() over (
            partition by source_system, source_record_id
            order by partition_date desc, source_line desc
        ) as newest,
        min(partition_date) over (partition by source_system, source_record_id) as first_seen,
        max(partition_date) over (partition by source_system, source_record_id) as last_seen
    from customers_clean
)
select
    source_system || ':' || source_record_id as unique_id,
    source_system,
    source_record_id,
    full_name,
    lower(full_name) as name_key,
    given_name,
    family_name,
    gender,
    birth_date,
    phone,
    email,
    split_part(email, '@', 1) as email_user,
    country,
    province,
    city,
    district,
    street,
    postcode,
    company,
    phone_valid,
    email_valid,
    coalesce(updated_at, created_at, partition_date::timestamp) as updated_at,
    email_opt_out,
    first_seen,
    last_seen
from versions
where newest = 1
order by unique_id
