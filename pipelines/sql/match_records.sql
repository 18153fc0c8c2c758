-- The latest version of every source record across all nights: what the matcher scores.
with versions as (
    select
        *,
        row_number() over (
            partition by source_system, source_record_id
            order by partition_date desc, source_line desc
        ) as newest,
        min(partition_date) over (partition by source_system, source_record_id) as first_seen,
        max(partition_date) over (partition by source_system, source_record_id) as last_seen,
        -- The digits of the number (of the raw text when it did not parse, unless Excel mangled it): their
        -- last 9 meet the same number read with another country code (+86 312... for a US 312 number). A filler
        -- number (13800138000, 555-01xx) was emptied as no contact: its text is no evidence either way.
        regexp_replace(
            case when phone is not null then phone
                 when regexp_full_match(phone_raw, '[0-9 +().\-]+')
                      and not list_contains(coalesce(quality_flags, []), 'placeholder_phone') then phone_raw end,
            '[^0-9]', '', 'g') as phone_digits
    from _matchable_clean  -- customers_clean without held nights (warehouse/holds.py)
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
    phone_extension,
    case when length(phone_digits) >= 9 then right(phone_digits, 9) end as phone_tail,
    email,
    split_part(email, '@', 1) as email_user,
    country,
    province,
    city,
    district,
    street,
    -- The house number a Latin-script street starts with ('12 box hill avenue'): it survives typos in the
    -- street name, and with the city it blocks a pair whose name, birth date and postcode are all mistyped.
    nullif(regexp_extract(street, '^[0-9]+'), '') as street_number,
    postcode,
    company,
    national_id,
    phone_valid,
    email_valid,
    coalesce(updated_at, created_at, partition_date::timestamp) as updated_at,
    email_opt_out,
    first_seen,
    last_seen,
    md5(list_value(full_name, given_name, family_name, gender, birth_date::varchar, phone, phone_raw, email, city, district,
                   street, postcode, national_id)::varchar) as record_hash,
    -- everything a master's golden record and histories read from the record: when it changes (an opt-out, a
    -- newer updated_at, another night seen) the master is rebuilt, though the record need not be scored again
    md5(list_value(full_name, given_name, family_name, gender, birth_date::varchar, phone, phone_extension, phone_raw, email, country,
                   province, city, district, street, postcode, company, national_id, phone_valid::varchar,
                   email_valid::varchar, coalesce(updated_at, created_at, partition_date::timestamp)::varchar,
                   email_opt_out::varchar, first_seen::varchar, last_seen::varchar, partition_date::varchar,
                   source_line::varchar)::varchar) as golden_hash
from versions
where newest = 1

