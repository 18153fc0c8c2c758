-- Counts behind the asset check of customer_xref: one row per source record, each record and master known.
-- The records the masters read (warehouse/holds.py): those of nights held out of them, and those their source
-- deleted since, have no xref row.
with records as (
    select distinct source_system, source_record_id
    from _matchable_clean
),
per_record as (
    select source_system, source_record_id, count(*) as copies
    from customer_xref
    group by all
)
select
    (select count(*) from customer_xref) as rows,
    (select count(*) from per_record where copies > 1) as duplicate_records,
    (select count(*) from records anti join per_record using (source_system, source_record_id)) as records_without_master,
    (select count(*) from per_record anti join records using (source_system, source_record_id)) as records_not_read,
    (select count(*) from customer_xref x anti join customer_master m using (master_id)) as unknown_masters
