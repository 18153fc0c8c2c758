-- Counts behind the asset checks of a customers_clean partition: key uniqueness and required fields.
with night as (
    select *
    from customers_clean
    where partition_date = $partition
),
keys as (
    select source_system, source_record_id, count(*) as copies
    from night
    group by all
    having count(*) > 1
)
select
    (select count(*) from night) as rows,
    (select count(*) from keys) as duplicate_keys,
    (select coalesce(sum(copies - 1), 0) from keys) as extra_copies,
    (select count(*) from night where full_name is null and phone is null and email is null) as no_identity,
    (select count(*) from night where source_file is null or source_line is null) as no_lineage,
    (select count(*) from night where source_record_id is null) as no_record_id
