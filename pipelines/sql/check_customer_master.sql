-- Counts behind the asset checks of customer_master: one row per master id, every master holds a record.
with ids as (
    select master_id, count(*) as copies
    from customer_master
    group by all
)
select
    (select count(*) from customer_master) as rows,
    (select count(*) from ids where copies > 1) as duplicate_ids,
    (select count(*) from customer_master where master_id is null) as no_id,
    (select count(*) from customer_master where record_count is null or record_count < 1) as empty_masters
